#!/usr/bin/env node
import { launch } from '@pmsbridge/core/launch';

await launch('pmsbridge-hl7-peer', new URL('../dist/cli.js', import.meta.url));
