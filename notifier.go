package hookd

// Notifier is told when new work is due: the dispatcher, on nodes that run
// one. Every front-end that makes deliveries due (publish, replay, enable,
// test events, recover) tells it, so the work need not wait for a poll.
type Notifier interface{ Notify() }
