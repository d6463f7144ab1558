package api

import (
	"context"
	"fmt"
	"sync"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/eventschema"
)

// schemaCache holds the compiled data schemas of the catalogue's types, so
// publishing does not read or compile a schema per event. Event types are
// never changed or deleted once created, so an entry cannot go stale; an
// unknown type is not cached, since it may be created later.
type schemaCache struct {
	mu      sync.RWMutex
	schemas map[string]*eventschema.Schema // nil value: the type has no schema
}

// schemaOf returns the type's compiled schema, nil when it has none.
// Unknown types are left for the store to refuse with its own error.
func (s *Server) schemaOf(ctx context.Context, eventType string) (*eventschema.Schema, error) {
	c := &s.schemaCache
	c.mu.RLock()
	schema, ok := c.schemas[eventType]
	c.mu.RUnlock()
	if ok {
		return schema, nil
	}
	et, err := s.store.EventType(ctx, eventType)
	if hookd.ErrorCode(err) == hookd.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(et.Schema) > 0 {
		if schema, err = eventschema.Compile(et.Schema); err != nil {
			return nil, fmt.Errorf("schema of %s: %w", eventType, err)
		}
	}
	c.mu.Lock()
	if c.schemas == nil {
		c.schemas = map[string]*eventschema.Schema{}
	}
	c.schemas[eventType] = schema
	c.mu.Unlock()
	return schema, nil
}

// checkData validates data against its type's schema; field names the
// offending place for the caller (e.g. "events[3].data/contact/email").
func (s *Server) checkData(ctx context.Context, eventType string, data []byte, field string) error {
	schema, err := s.schemaOf(ctx, eventType)
	if err != nil || schema == nil {
		return err
	}
	v, err := schema.Check(data)
	if err != nil {
		return hookd.Invalid(field, "%v", err)
	}
	if v != nil {
		return hookd.Invalid(field+v.Path, "does not match the %s schema: %s", eventType, v.Message)
	}
	return nil
}
