package app

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// How long readiness results are reused. /readyz is unauthenticated: without reuse, every call
// would be a store write (the probe commits) and a CXone login, which anyone could drive. The
// store is checked often, since a full or frozen disk must show quickly; a login is checked at
// most every 30 s, success or failure, so a wrong secret costs one failed login per 30 s.
const (
	storeCheckEvery = time.Second
	loginCheckEvery = 30 * time.Second
	checkTimeout    = 5 * time.Second
)

// readiness serves /readyz: 200 when the store can commit and a destination's login works, else
// 503; the body has the result of each check ("store", and one per destination by its name). With
// several destinations, one that cannot log in does not make the service unready: intake and the
// other destinations still work, and its numbers wait for it (its metrics and alerts say so).
type readiness struct {
	store  *cachedCheck
	logins []namedCheck
}

type namedCheck struct {
	name string
	*cachedCheck
}

type pinger interface {
	Ping(ctx context.Context) error
}

func newReadiness(store pinger, lanes []*lane) *readiness {
	rd := &readiness{store: &cachedCheck{every: storeCheckEvery, check: store.Ping}}
	for _, l := range lanes {
		rd.logins = append(rd.logins, namedCheck{l.name, &cachedCheck{every: loginCheckEvery, check: l.client.Login}})
	}
	return rd
}

// ServeHTTP answers the checks; ?exclude=NAME (repeatable, as Kubernetes' own /readyz takes it)
// leaves checks out: exclude=destinations leaves out every login, so that a readiness probe takes
// a replica out of the Service while its store cannot commit, but not for a destination's outage
// (opt-outs must keep queueing while CXone is down).
func (rd *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	excluded := map[string]bool{}
	for _, n := range r.URL.Query()["exclude"] {
		excluded[n] = true
	}
	checks := map[string]string{}
	status := http.StatusOK
	if !excluded["store"] {
		checks["store"] = rd.store.result(r.Context())
		if checks["store"] != "ok" {
			status = http.StatusServiceUnavailable
		}
	}
	loggedIn, asked := false, false
	for _, c := range rd.logins {
		if excluded["destinations"] || excluded[c.name] {
			continue
		}
		asked = true
		checks[c.name] = c.result(r.Context())
		loggedIn = loggedIn || checks[c.name] == "ok"
	}
	if asked && !loggedIn {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(checks)
}

// cachedCheck runs check at most once per every; callers meanwhile share the last result, and
// concurrent callers share one run.
type cachedCheck struct {
	every time.Duration
	check func(context.Context) error
	group singleflight.Group

	mu   sync.Mutex
	at   time.Time
	last string
}

func (c *cachedCheck) result(ctx context.Context) string {
	c.mu.Lock()
	if !c.at.IsZero() && time.Since(c.at) < c.every {
		defer c.mu.Unlock()
		return c.last
	}
	c.mu.Unlock()
	v, _, _ := c.group.Do("", func() (any, error) {
		// Not the caller's context: one caller hanging up must not fail the check for the others.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), checkTimeout)
		defer cancel()
		res := "ok"
		if err := c.check(cctx); err != nil {
			res = err.Error()
		}
		c.mu.Lock()
		c.at, c.last = time.Now(), res
		c.mu.Unlock()
		return res, nil
	})
	return v.(string)
}
