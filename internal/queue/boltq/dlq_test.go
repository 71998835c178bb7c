package boltq

import (
	"testing"

	"github.com/dncsync/dncsync/internal/queue/queuetest"
)

func TestOperations(t *testing.T) {
	queuetest.RunOperations(t, opener())
}
