// Command barehandler serves one file's bytes for every request: the
// baseline that scripts/bench.sh compares Ocean's product list and product
// page against (the ceiling of an HTTP server in Go on this machine).
package main

import (
	"flag"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18099", "listen address")
	file := flag.String("file", "", "file whose bytes to serve")
	ctype := flag.String("type", "application/json", "Content-Type of the answer")
	flag.Parse()
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	//nolint:gosec // a benchmark baseline on loopback for scripts/bench.sh, not a server anyone reaches
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", *ctype)
		_, _ = w.Write(body)
	})))
}
