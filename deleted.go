package hookd

// DeletedEndpointError is the last error of the deliveries that were
// waiting when their endpoint was deleted (they fail then, unsent).
const DeletedEndpointError = "endpoint deleted"

// ErrDeletedEndpoint refuses to replay a delivery whose endpoint was
// deleted: there is nowhere to send it.
func ErrDeletedEndpoint(deliveryID string) error {
	return Errorf(ECONFLICT, "delivery %q belongs to a deleted endpoint; it cannot be replayed", deliveryID)
}
