package local_test

import (
	"testing"

	"github.com/oceanshop/ocean/internal/lock"
	"github.com/oceanshop/ocean/internal/lock/local"
	"github.com/oceanshop/ocean/internal/lock/locktest"
)

func TestContract(t *testing.T) {
	locktest.Contract(t, func(t *testing.T) lock.Locker { return local.New() })
}

// BenchmarkLock: acquire+release, uncontended and contended.
func BenchmarkLock(b *testing.B) { locktest.Bench(b, local.New()) }
