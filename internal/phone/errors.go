package phone

// Reason says why an input was rejected. The values are stable strings:
// callers record them with the rejected opt-out.
type Reason string

// Rejection reasons.
const (
	ReasonEmpty          Reason = "empty"
	ReasonNotANumber     Reason = "not_a_number"
	ReasonInvalidCountry Reason = "invalid_country_code"
	ReasonTooShort       Reason = "too_short"
	ReasonTooLong        Reason = "too_long"
	ReasonInvalid        Reason = "invalid_number" // parses, but not a valid number per metadata
	ReasonBadRegion      Reason = "unknown_region" // the region argument is not a supported region
	// ReasonSeveralNumbers: the input holds more than one number ("415 555 0100; 415 555 0101").
	// Taking one would silently drop the others, so none is taken.
	ReasonSeveralNumbers Reason = "several_numbers"
)

// Error is returned by Parse for any input that is not accepted. Callers
// branch on Reason with errors.As.
type Error struct {
	Raw    string // input as given; kept out of Error() so the message is log-safe
	Region string // default region after normalization ("" becomes "US")
	Reason Reason
	Err    error // underlying cause, may be nil
}

// Error never includes Raw: phone numbers are personal data and error
// strings end up in logs.
func (e *Error) Error() string {
	switch e.Reason {
	case ReasonEmpty:
		return "phone: empty number (" + string(e.Reason) + ")"
	case ReasonBadRegion:
		return "phone: unsupported default region (" + string(e.Reason) + ")"
	}
	return "phone: not a valid number (" + string(e.Reason) + ")"
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }
