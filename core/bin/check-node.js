#!/usr/bin/env node
// npm scripts run this first, so that an old Node stops with one clear line.
import { requireSupportedNode } from './launch.js';

requireSupportedNode(process.argv[2] ?? 'pmsbridge');
