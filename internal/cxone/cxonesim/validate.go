package cxonesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"sort"
)

// maxBody bounds request bodies; a 50-contact batch is a few KiB.
const maxBody = 1 << 20

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func validNumber(n string) bool { return e164.MatchString(n) }

// readJSONBody checks Content-Type and reads the body. The returned reply is
// non-nil when the request must be refused.
func readJSONBody(r *http.Request) ([]byte, *reply) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		rep := errorReply(http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return nil, &rep
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		rep := errorReply(http.StatusBadRequest, "reading body: %v", err)
		return nil, &rep
	}
	if len(b) > maxBody {
		rep := errorReply(http.StatusRequestEntityTooLarge, "request body too large")
		return nil, &rep
	}
	return b, nil
}

// checkKeys verifies that raw is a JSON object whose keys are all among
// allowed, spelled exactly. encoding/json matches field names
// case-insensitively and ignores unknown ones, which would let a client's
// "PhoneNumber" or misspelt field slip through; the simulator must not.
func checkKeys(raw json.RawMessage, allowed ...string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return errors.New("expected a JSON object")
	}
	var unknown []string
	for k := range m {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unknown field %q", unknown[0])
	}
	return nil
}

// checkKeysEach applies checkKeys to every element of a JSON array field; a
// missing or null field passes (emptiness is the caller's rule to enforce).
func checkKeysEach(raw json.RawMessage, field string, allowed ...string) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return errors.New("expected a JSON object")
	}
	v, ok := top[field]
	if !ok {
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(v, &elems); err != nil {
		return fmt.Errorf("%s: expected an array", field)
	}
	for i, e := range elems {
		if err := checkKeys(e, allowed...); err != nil {
			return fmt.Errorf("%s[%d]: %v", field, i, err)
		}
	}
	return nil
}
