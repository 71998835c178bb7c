package main

import (
	"fmt"
	"net"
)

func listen(port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return nil, fmt.Errorf("listen on PORT=%d: %w", port, err)
	}
	return ln, nil
}
