#!/bin/sh
# Prints the greeting the shared builder stage wrote at build time.
cat /usr/share/app/greeting
