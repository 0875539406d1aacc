package mcp

func (s *Server) addGraphTools() error { return nil }
