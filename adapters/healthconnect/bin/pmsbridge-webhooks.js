#!/usr/bin/env node
import { launch } from '@pmsbridge/core/launch';

await launch('pmsbridge-webhooks', new URL('../dist/webhooks-cli.js', import.meta.url));
