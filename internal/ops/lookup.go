package ops

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/queue"
)

// Answer is a number's state and one page of its history: the JSON of GET /v1/numbers/{number}
// and `dncsync lookup`.
type Answer struct {
	queue.NumberState
	Query   string              `json:"query"`
	History []queue.AuditRecord `json:"history"`
	// NextBefore, when set, pages further back: pass it as ?before= for the records before History.
	NextBefore string `json:"nextBefore,omitempty"`
}

// NewAnswer is the answer to query from what a lookup found.
func NewAnswer(query string, h queue.History) Answer {
	if h.Records == nil {
		h.Records = []queue.AuditRecord{}
	}
	return Answer{NumberState: h.State, Query: query, History: h.Records, NextBefore: h.Older}
}

// ErrNotFound is a lookup of a number never seen.
var ErrNotFound = errors.New("never seen")

// ErrBadRegion refuses a country that is not a region, for a query that needs one.
var ErrBadRegion = errors.New("country is not a known region (ISO 3166 code such as US or GB)")

// Key is where a query is looked up: its E.164 when it is a valid number, otherwise the rejection
// key of the raw input. A query in international form ("+" and the country code) names its country
// and region is ignored; any other is read in region (empty: defaultRegion), which must then be a
// region (ErrBadRegion).
func Key(query, region, defaultRegion string) (string, error) {
	if strings.HasPrefix(strings.TrimSpace(query), "+") {
		region = defaultRegion
	} else if region == "" {
		region = defaultRegion
	} else if !phone.ValidRegion(region) {
		return "", ErrBadRegion
	}
	if n, err := phone.Parse(query, region); err == nil {
		return n.E164, nil
	}
	return queue.RejectionKey(query), nil
}

// ParsePage reads a page's limit and before (a cursor from an earlier answer's nextBefore).
func ParsePage(limit, before string) (queue.Page, error) {
	p := queue.Page{Before: before}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > queue.MaxPageLimit {
			return p, fmt.Errorf("limit must be a whole number from 1 to %d", queue.MaxPageLimit)
		}
		p.Limit = n
	}
	return p, nil
}

// Lookup finds a number's state and one page of its history; query is read in country (empty:
// the default region) unless it is international. ErrNotFound for a number never seen,
// ErrBadRegion, or queue.ErrBadCursor for a page's cursor that is not one.
func (o *Ops) Lookup(ctx context.Context, query, country string, page queue.Page) (Answer, error) {
	key, err := Key(query, country, o.DefaultRegion)
	if err != nil {
		return Answer{}, err
	}
	if key == "" {
		return Answer{}, ErrNotFound
	}
	h, found, err := o.Store.Lookup(ctx, key, page)
	if err != nil {
		return Answer{}, err
	}
	if !found {
		return Answer{}, ErrNotFound
	}
	return NewAnswer(query, h), nil
}
