package pusher

import "github.com/dncsync/dncsync/internal/queue"

// attribute decides, in place, whose fault each refusal in errs is (destination.Attribution: the
// number's only once the destination accepted another number, in another batch, since it first
// refused this one; until then the deployment's). It returns the batch's id, for accepted.
func (p *Pusher) attribute(items []queue.Item, errs []error) uint64 {
	batch := p.attr.Batch()
	for i, it := range items {
		if errs[i] != nil {
			errs[i] = p.attr.Attribute(batch, opOf(it), it.Number, errs[i])
		}
	}
	return batch
}

// accepted tells the attribution which numbers batch got through.
func (p *Pusher) accepted(batch uint64, ok []queue.Item) {
	confirmed := map[string][]string{}
	for _, it := range ok {
		confirmed[opOf(it)] = append(confirmed[opOf(it)], it.Number)
	}
	for op, numbers := range confirmed {
		p.attr.Accepted(batch, op, numbers)
	}
}

// opOf is the operation an item is pushed with, as pushBatch splits them.
func opOf(it queue.Item) string {
	if it.Action == queue.Remove {
		return "remove"
	}
	return "add"
}
