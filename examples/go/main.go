// Command server is the Go example built by examples/go/Stagefile: a tiny HTTP server.
//
//	server          serve HTTP on :8080 (or $PORT); GET / answers "hello from stagefile"
//	server hello    print the greeting and exit (no network needed)
//	server -version print the version and exit
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

const greeting = "hello from stagefile"

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "hello":
			fmt.Println(greeting)
			return
		case "-version", "--version", "version":
			fmt.Println(version)
			return
		default:
			fmt.Fprintf(os.Stderr, "usage: %s [hello | -version]\n", os.Args[0])
			os.Exit(2)
		}
	}

	addr := ":8080"
	if port := os.Getenv("PORT"); port != "" {
		addr = ":" + port
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, greeting)
	})
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, mux))
}
