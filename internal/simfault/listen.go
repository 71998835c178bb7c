package simfault

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// Listen serves h on addr (e.g. "127.0.0.1:0") until shutdown is called, and returns its base
// URL, e.g. "http://127.0.0.1:43121". Shutdown closes connections at once, slow requests too, as a
// vendor outage would; serve errors go to logf.
func Listen(addr string, h http.Handler, logf func(format string, args ...any)) (baseURL string, shutdown func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && logf != nil {
			logf("simulator: serve: %v", err)
		}
	}()
	var once sync.Once
	shutdown = func() {
		once.Do(func() {
			_ = hs.Close()
			<-done
		})
	}
	return "http://" + ln.Addr().String(), shutdown, nil
}
