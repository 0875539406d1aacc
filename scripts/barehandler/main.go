// Command barehandler serves one file's bytes for every request: the
// baseline that scripts/bench.sh compares Ocean's product-list API against.
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
	flag.Parse()
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	//nolint:gosec // a benchmark baseline on loopback for scripts/bench.sh, not a server anyone reaches
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})))
}
