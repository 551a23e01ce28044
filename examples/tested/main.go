// Command greet is the example of tests in the graph (examples/tested/Stagefile): it
// prints a greeting, and main_test.go checks it in every build.
//
//	greet         print "hello, world"
//	greet NAME    print "hello, NAME"
package main

import (
	"fmt"
	"os"
	"strings"
)

// Greeting is the line greet prints for name; an empty or blank name greets the world.
func Greeting(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "world"
	}
	return "hello, " + name
}

func main() {
	name := ""
	if len(os.Args) > 1 {
		name = strings.Join(os.Args[1:], " ")
	}
	fmt.Println(Greeting(name))
}
