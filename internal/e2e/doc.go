// Package e2e holds the end-to-end tests: the real binary, built once, against real Redis servers,
// real HTTP servers on loopback and the destinations' simulators.
package e2e
