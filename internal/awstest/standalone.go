package awstest

// Server is a moto_server process started outside a test binary (by a
// benchmark command, for one), on 127.0.0.1 and a free port.
type Server struct{ s *server }

// StartServer finds moto_server (as Main does: $MOTO_SERVER, PATH, pyenv)
// and starts it; Stop ends it. Clients use its default account (no
// AccountHeader), as a real bootstrap binary does.
func StartServer() (*Server, error) {
	bin, err := findMotoServer()
	if err != nil {
		return nil, err
	}
	s, err := startServer(bin)
	if err != nil {
		return nil, err
	}
	return &Server{s: s}, nil
}

// URL is the server's base URL, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return s.s.url }

// Pid is the server's process id (to read its memory use, for one).
func (s *Server) Pid() int { return s.s.cmd.Process.Pid }

// Stop kills the server and waits for it to exit.
func (s *Server) Stop() { s.s.stop() }
