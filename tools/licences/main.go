// Command licences checks the licences of the modules compiled into a Go
// program: each module's licence file is read from the module cache and
// classified by its text. A GPL, LGPL or AGPL licence, or a licence it does
// not recognise, fails the check (exit status 1): Ocean is distributed as
// one binary, so every module it links must allow that without turning the
// shop into a copyleft work.
//
// Usage: licences [-C dir] [packages]   (default: ./cmd/ocean)
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// kinds is checked in order: the first whose every pattern occurs in a
// licence text names it.
var kinds = []struct {
	name    string
	allowed bool
	all     []string
}{
	{"AGPL", false, []string{"GNU AFFERO GENERAL PUBLIC LICENSE"}},
	{"LGPL", false, []string{"GNU LESSER GENERAL PUBLIC LICENSE"}},
	{"LGPL", false, []string{"GNU LIBRARY GENERAL PUBLIC LICENSE"}},
	{"GPL", false, []string{"GNU GENERAL PUBLIC LICENSE"}},
	{"SSPL", false, []string{"Server Side Public License"}},
	{"Apache-2.0", true, []string{"Apache License", "Version 2.0"}},
	{"MPL-2.0", true, []string{"Mozilla Public License", "2.0"}},
	{"MIT", true, []string{"Permission is hereby granted, free of charge, to any person obtaining a copy"}},
	{"BSD-3-Clause", true, []string{"Redistribution and use in source and binary forms", "Neither the name"}},
	{"BSD-3-Clause", true, []string{"Redistribution and use in source and binary forms", "names of its contributors may not be used"}},
	{"BSD-2-Clause", true, []string{"Redistribution and use in source and binary forms"}},
	{"ISC", true, []string{"Permission to use, copy, modify, and", "distribute this software for any", "purpose with or without fee is hereby granted"}},
	{"CC0-1.0", true, []string{"CC0 1.0 Universal", "Statement of Purpose"}},
	{"Unlicense", true, []string{"This is free and unencumbered software released into the public domain"}},
}

var licenceFile = regexp.MustCompile(`(?i)^(licen[cs]e|copying|unlicense)(\.(md|txt|markdown|rst))?$`)

type module struct {
	path, version, dir string
}

func main() {
	dir := flag.String("C", ".", "directory of the main module")
	flag.Parse()
	pkgs := flag.Args()
	if len(pkgs) == 0 {
		pkgs = []string{"./cmd/ocean"}
	}
	mods, err := modules(*dir, pkgs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "licences:", err)
		os.Exit(2)
	}
	bad := 0
	for _, m := range mods {
		kind, allowed, file := classify(m.dir)
		mark := "ok"
		if !allowed {
			mark = "REFUSED"
			bad++
		}
		fmt.Printf("%-8s %-14s %s@%s %s\n", mark, kind, m.path, m.version, file)
	}
	if bad > 0 {
		fmt.Fprintf(os.Stderr, "licences: %d of %d modules have a copyleft or unknown licence\n", bad, len(mods))
		os.Exit(1)
	}
	fmt.Printf("licences: %d modules, all permissive\n", len(mods))
}

// modules lists the modules that provide packages the given packages
// depend on (the main module aside), with their directories in the cache.
func modules(dir string, pkgs []string) ([]module, error) {
	args := append([]string{"list", "-deps", "-f",
		`{{with .Module}}{{if not .Main}}{{with .Replace}}{{.Path}} {{.Version}} {{.Dir}}{{else}}{{.Path}} {{.Version}} {{.Dir}}{{end}}{{end}}{{end}}`}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	seen := map[string]module{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		seen[f[0]] = module{f[0], f[1], f[2]}
	}
	list := make([]module, 0, len(seen))
	for _, m := range seen {
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].path < list[j].path })
	return list, nil
}

// classify names the licence of the module in dir. A module with several
// licence files is allowed only if all of them are.
func classify(dir string) (kind string, allowed bool, file string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "unreadable", false, err.Error()
	}
	var names, files []string
	allowed = true
	for _, e := range entries {
		if e.IsDir() || !licenceFile.MatchString(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return "unreadable", false, err.Error()
		}
		k, ok := kindOf(string(b))
		names = append(names, k)
		files = append(files, e.Name())
		allowed = allowed && ok
	}
	if len(names) == 0 {
		return "none found", false, "(no LICENSE file)"
	}
	return strings.Join(names, "+"), allowed, strings.Join(files, ",")
}

func kindOf(text string) (string, bool) {
	text = strings.Join(strings.Fields(text), " ")
	for _, k := range kinds {
		ok := true
		for _, p := range k.all {
			if !strings.Contains(text, strings.Join(strings.Fields(p), " ")) {
				ok = false
				break
			}
		}
		if ok {
			return k.name, k.allowed
		}
	}
	return "unknown", false
}
