package console

import "github.com/dncsync/dncsync/internal/printable"

// escape shows the text senders and destinations wrote with its control characters and
// bidirectional marks escaped (printable): the template escapes HTML, but a right-to-left
// override would still reorder a number on the page.
func escape(v *view) {
	e := printable.Escape
	v.Query = e(v.Query)
	for i := range v.Dead {
		d := &v.Dead[i]
		d.Raw, d.Source, d.LastError = e(d.Raw), e(d.Source), e(d.LastError)
	}
	for i := range v.Pushes {
		v.Pushes[i].Error = e(v.Pushes[i].Error)
	}
	for i := range v.LookupDests {
		v.LookupDests[i].LastError = e(v.LookupDests[i].LastError)
	}
	if a := v.Lookup; a != nil {
		a.Query, a.Number, a.LastError = e(a.Query), e(a.Number), e(a.LastError)
		for i := range a.History {
			r := &a.History[i]
			r.Number, r.Raw, r.Source, r.Channel, r.Reason = e(r.Number), e(r.Raw), e(r.Source), e(r.Channel), e(r.Reason)
			r.Scope, r.EventID, r.Region, r.Detail = e(r.Scope), e(r.EventID), e(r.Region), e(r.Detail)
		}
	}
}
