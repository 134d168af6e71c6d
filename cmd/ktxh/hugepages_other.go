//go:build !linux

package main

func adviseHugeHeap() {}
