// Package loadgen posts opt-out webhooks at a running dncsync and measures what it sustains. It is
// a client of the public API only, so it measures the service as senders see it.
package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one load run.
type Config struct {
	URL         string // base URL of the service
	Token       string // bearer token, if the service wants one
	Requests    int    // total requests
	Concurrency int
	Batch       int // events per request; 1 sends single events
	Distinct    int // distinct numbers cycled through (repeats exercise deduplication)
	// Duration, when set, ends the run after this long (Requests then only caps it).
	Duration time.Duration
	// Mixed writes numbers in the formats senders use (E.164, national with punctuation,
	// international with spaces) instead of one format.
	Mixed bool
}

// Result summarizes a run.
type Result struct {
	Requests, Events, Errors int
	Statuses                 map[int]int
	Elapsed                  time.Duration
	P50, P99, Max            time.Duration
}

func (r Result) String() string {
	return fmt.Sprintf("%d requests (%d events) in %v: %.0f requests/s, %.0f events/s; latency p50 %v p99 %v max %v; statuses %v; transport errors %d",
		r.Requests, r.Events, r.Elapsed.Round(time.Millisecond), float64(r.Requests)/r.Elapsed.Seconds(),
		float64(r.Events)/r.Elapsed.Seconds(), r.P50, r.P99, r.Max, r.Statuses, r.Errors)
}

// Run sends the load and waits for every answer.
func Run(ctx context.Context, cfg Config) Result {
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.Batch < 1 {
		cfg.Batch = 1
	}
	if cfg.Distinct < 1 {
		cfg.Distinct = 1_000_000
	}
	if cfg.Requests < 1 {
		cfg.Requests = int(^uint(0) >> 2)
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	var next atomic.Int64
	var mu sync.Mutex
	res := Result{Statuses: map[int]int{}}
	lat := make([]time.Duration, 0, min(cfg.Requests, 1<<16))
	start := time.Now()
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Go(func() {
			c, err := newConn(cfg.URL)
			if err != nil {
				mu.Lock()
				res.Errors++
				mu.Unlock()
				return
			}
			defer c.close()
			var body bytes.Buffer
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= cfg.Requests {
					return
				}
				body.Reset()
				writeBody(&body, i, cfg)
				t0 := time.Now()
				status, err := c.do("/webhook/opt-out", cfg.Token, body.Bytes(), 30*time.Second)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					if ctx.Err() == nil { // not the end of a timed run
						res.Errors++
					}
				} else {
					res.Statuses[status]++
					res.Requests++
					res.Events += cfg.Batch
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(lat)
	if n := len(lat); n > 0 {
		res.P50, res.P99, res.Max = lat[n/2], lat[n*99/100], lat[n-1]
	}
	return res
}

// writeBody writes request i: single events in the tutorial's shape, or a JSON array.
func writeBody(b *bytes.Buffer, i int, cfg Config) {
	if cfg.Batch > 1 {
		b.WriteByte('[')
	}
	for j := range cfg.Batch {
		if j > 0 {
			b.WriteByte(',')
		}
		n := (i*cfg.Batch + j) % cfg.Distinct
		// 212 555 XXXX style numbers across many valid US area codes: all valid, all distinct.
		area, exch, line := areaCodes[n%len(areaCodes)], 200+(n/10000/len(areaCodes))%800, (n/len(areaCodes))%10000
		format := `+1 %03d %03d %04d`
		if cfg.Mixed {
			format = mixedFormats[(n/7)%len(mixedFormats)]
		}
		fmt.Fprintf(b, `{"eventType":"contact.opt_out","data":{"phoneNumber":"`+format+`"}}`, area, exch, line)
	}
	if cfg.Batch > 1 {
		b.WriteByte(']')
	}
}

// mixedFormats are how senders write the same US number.
var mixedFormats = []string{`+1%03d%03d%04d`, `(%03d) %03d-%04d`, `%03d-%03d-%04d`, `+1 %03d %03d %04d`, `1 (%03d) %03d-%04d`}

var areaCodes = []int{201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219,
	224, 225, 228, 229, 231, 234, 239, 240, 248, 251, 252, 253, 254, 256, 260, 262, 267, 269, 270, 276,
	281, 301, 302, 303, 304, 305, 307, 308, 309, 310, 312, 313, 314, 315, 316, 317, 318, 319, 320, 321,
	323, 325, 330, 334, 336, 337, 339, 347, 351, 352, 360, 361, 386, 401, 402, 404, 405, 406, 407, 408,
	409, 410, 412, 413, 414, 415, 417, 419, 423, 425, 430, 432, 434, 435, 440, 443, 469, 470, 475, 478}
