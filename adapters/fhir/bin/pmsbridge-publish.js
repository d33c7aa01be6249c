#!/usr/bin/env node
import { launch } from '@pmsbridge/core/launch';

await launch('pmsbridge-publish', new URL('../dist/publish-cli.js', import.meta.url));
