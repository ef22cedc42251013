// Command cold-start-floor is the smallest web server we can put in a Knative Service: a static Go
// binary in a FROM-scratch image that answers every request at once. Its cold start through the
// activator is the floor the functions' cold starts are compared with, on the same cluster and in
// the same run (npm run cluster:test).
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
