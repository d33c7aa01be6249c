#!/usr/bin/env node
import { launch } from '@pmsbridge/core/launch';

await launch('pmsbridge-sandbox', new URL('../dist/cli.js', import.meta.url));
