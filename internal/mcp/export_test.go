package mcp

import "time"

// SetQueryTimeout changes the console's query timeout between calls, so
// that a test bounds only the query it is about with a short one.
func SetQueryTimeout(s *Server, d time.Duration) { s.sql.timeout = d }
