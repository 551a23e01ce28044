package main

import "testing"

func TestGreeting(t *testing.T) {
	cases := map[string]string{
		"":          "hello, world",
		"   ":       "hello, world",
		"stagefile": "hello, stagefile",
		" gopher ":  "hello, gopher",
	}
	for name, want := range cases {
		if got := Greeting(name); got != want {
			t.Errorf("Greeting(%q) = %q, want %q", name, got, want)
		}
	}
}
