package app

import (
	"strings"

	"github.com/dncsync/dncsync/internal/cxone"
	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/five9"
	"github.com/dncsync/dncsync/internal/genesys"
	"github.com/dncsync/dncsync/internal/webhook"
)

// Destinations are every destination dncsync can push to: one line each. Configuration, lanes,
// the doctor, the demo, reconcile, the settings reference and --help all come from this list.
var Destinations = []destination.Spec{cxone.Spec, genesys.Spec, webhook.Spec, five9.Spec}

// SpecOf is the destination named name.
func SpecOf(name string) (destination.Spec, bool) {
	for _, s := range Destinations {
		if s.Name == name {
			return s, true
		}
	}
	return destination.Spec{}, false
}

// destinationTitles are the registry's titles by name, for the status page.
func destinationTitles() map[string]string {
	out := make(map[string]string, len(Destinations))
	for _, s := range Destinations {
		out[s.Name] = s.Title
	}
	return out
}

// DestinationNames are the registry's names, "cxone, genesys or webhook".
func DestinationNames(conj string) string {
	names := make([]string, len(Destinations))
	for i, s := range Destinations {
		names[i] = s.Name
	}
	return joinList(names, conj)
}

// DestinationTitles are the registry's titles, "NICE CXone, Genesys Cloud and Signed webhook".
func DestinationTitles(conj string) string {
	titles := make([]string, len(Destinations))
	for i, s := range Destinations {
		titles[i] = s.Title
	}
	return joinList(titles, conj)
}

func joinList(items []string, conj string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}
