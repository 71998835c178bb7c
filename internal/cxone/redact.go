package cxone

import "github.com/dncsync/dncsync/internal/destination"

// redactNumbers hides anything that looks like a phone number, including formatted ones: CXone's
// per-record errors and results carry formattedPhone. The rule lives in the destination package.
func redactNumbers(s string) string { return destination.RedactNumbers(s) }
