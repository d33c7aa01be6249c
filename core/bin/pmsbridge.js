#!/usr/bin/env node
import { launch } from './launch.js';

await launch('pmsbridge', new URL('../dist/cli/bin.js', import.meta.url));
