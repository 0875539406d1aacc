package sandbox_test

import (
	"testing"

	"github.com/oceanshop/ocean/internal/payment/sandbox"
	"github.com/oceanshop/ocean/internal/storetest"
)

// The in-memory store meets the contract the SQL stores meet, so gateway
// tests over it stand for the real thing.
func TestMemoryStoreContract(t *testing.T) {
	storetest.SandboxGateway(t, func(*testing.T) sandbox.Store { return sandbox.NewMemoryStore() })
}
