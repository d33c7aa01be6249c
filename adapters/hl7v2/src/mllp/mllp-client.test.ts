import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { silentLogger } from '@pmsbridge/core';
import type { OutboundMessage } from '../codec/outbound-message.js';
import { FrameDecoder, frame } from './framing.js';
import { MllpClient, MllpError, type MllpClientOptions } from './mllp-client.js';

/** A message; with `msh16`, in enhanced mode (MSH-15 `AL`, MSH-16 as given). */
function message(controlId: string, msh16?: string): OutboundMessage {
  const enhanced = msh16 === undefined ? '' : `|||AL|${msh16}`;
  return {
    text: `MSH|^~\\&|PMSBRIDGE||PMS||20260309090000||MFN^M02^MFN_M02|${controlId}|P|2.5.1${enhanced}\rMFI|STF\r`,
    controlId,
    messageType: 'MFN^M02^MFN_M02',
    key: 'PRV1',
    charset: 'UNICODE UTF-8',
  };
}

/** An acknowledgment of `controlId`; `msh15` set asks for a commit acknowledgment of it. */
const ack = (controlId: string, code = 'AA', msh15 = '') =>
  frame(
    Buffer.from(
      `MSH|^~\\&|PMS||PMSBRIDGE||20260309090001||ACK^M02^ACK|${code}-${controlId}|P|2.5.1|||${msh15}\rMSA|${code}|${controlId}\r`,
    ),
  );

const controlIdOf = (bytes: Buffer) => bytes.toString().split('\r')[0]?.split('|')[9] ?? '';

/** A listener that hands each frame, with its connection, to `onMessage`. */
async function listen(onMessage: (socket: Socket, controlId: string, connection: number) => void) {
  let connections = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const connection = ++connections;
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      for (const bytes of decoder.push(chunk)) onMessage(socket, controlIdOf(bytes), connection);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

const servers: Server[] = [];
const sockets = new Set<Socket>();
const clients: MllpClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const socket of sockets) socket.destroy();
  for (const server of servers.splice(0)) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

function client(port: number, options: Partial<MllpClientOptions> = {}, sleeps: number[] = []) {
  const created = new MllpClient(
    {
      host: '127.0.0.1',
      port,
      connectTimeoutMs: 1000,
      ackTimeoutMs: 1000,
      reconnect: { attempts: 3, baseDelayMs: 100, maxDelayMs: 150 },
      ...options,
    },
    { logger: silentLogger, sleep: async (ms) => void sleeps.push(ms) },
  );
  clients.push(created);
  return created;
}

const signal = () => AbortSignal.timeout(10_000);

describe('MllpClient', () => {
  it('sends one message at a time on one connection and returns each acknowledgment', async () => {
    const order: string[] = [];
    let outstanding = 0;
    const peer = await listen((socket, controlId) => {
      outstanding++;
      order.push(`${controlId} (${outstanding} outstanding)`);
      setTimeout(() => {
        outstanding--;
        socket.write(ack(controlId));
      }, 20);
    });
    const sender = client(peer.port);
    const acks = await Promise.all(
      ['C1', 'C2', 'C3'].map((id) => sender.send(message(id), signal())),
    );
    expect(acks.map((a) => [a.code, a.controlId])).toEqual([
      ['AA', 'C1'],
      ['AA', 'C2'],
      ['AA', 'C3'],
    ]);
    expect(order).toEqual(['C1 (1 outstanding)', 'C2 (1 outstanding)', 'C3 (1 outstanding)']);
    expect(peer.connections()).toBe(1);
  });

  it('refuses an acknowledgment of another control id and opens a new connection for the next message', async () => {
    const peer = await listen((socket, controlId, connection) =>
      socket.write(ack(connection === 1 ? 'SOMETHING-ELSE' : controlId)),
    );
    const sender = client(peer.port);
    const refused = await sender.send(message('C1'), signal()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MllpError);
    expect(refused).toMatchObject({ failure: 'protocol' });
    expect((refused as Error).message).toContain(
      'acknowledged control id SOMETHING-ELSE instead of C1',
    );
    expect(await sender.send(message('C2'), signal())).toMatchObject({
      code: 'AA',
      controlId: 'C2',
    });
    expect(peer.connections()).toBe(2);
  });

  it('never takes a late acknowledgment for the answer to the next message', async () => {
    const peer = await listen((socket, controlId, connection) => {
      // The first connection answers after the client gave up; the second at once.
      setTimeout(() => socket.write(ack(controlId)), connection === 1 ? 300 : 0);
    });
    const sender = client(peer.port, { ackTimeoutMs: 100 });
    await expect(sender.send(message('C1'), signal())).rejects.toMatchObject({
      failure: 'timeout',
    });
    expect(await sender.send(message('C2'), signal())).toMatchObject({ controlId: 'C2' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(peer.connections()).toBe(2);
  });

  it('reports a dropped connection as closed, and reconnects for the next message', async () => {
    const peer = await listen((socket, controlId, connection) => {
      if (connection === 1) socket.destroy();
      else socket.write(ack(controlId));
    });
    const sender = client(peer.port);
    await expect(sender.send(message('C1'), signal())).rejects.toMatchObject({ failure: 'closed' });
    expect(await sender.send(message('C1'), signal())).toMatchObject({ code: 'AA' });
  });

  it('gives up connecting after every attempt, backing off between them (capped)', async () => {
    const peer = await listen(() => undefined);
    const [server] = servers.splice(0);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    const sleeps: number[] = [];
    const sender = client(peer.port, {}, sleeps);
    const failed = await sender.send(message('C1'), signal()).catch((e: unknown) => e);
    expect(failed).toMatchObject({ failure: 'connect', code: 'PMS_NET_UNREACHABLE' });
    expect((failed as Error).message).toMatch(/after 3 attempt\(s\): .*ECONNREFUSED/);
    expect(sleeps).toEqual([100, 150]);
  });

  describe('in enhanced acknowledgment mode', () => {
    it('takes a CA and the application acknowledgment arriving in one chunk', async () => {
      const peer = await listen((socket, controlId) =>
        socket.write(Buffer.concat([ack(controlId, 'CA'), ack(controlId, 'AE')])),
      );
      const sender = client(peer.port);
      expect(await sender.send(message('C1', 'AL'), signal())).toMatchObject({
        code: 'AE',
        controlId: 'C1',
      });
      expect(await sender.send(message('C2', 'AL'), signal())).toMatchObject({
        code: 'AE',
        controlId: 'C2',
      });
      expect(peer.connections()).toBe(1);
    });

    it('sends the next message only after the application acknowledgment and its CA', async () => {
      const frames: string[] = [];
      const peer = await listen((socket, controlId) => {
        frames.push(controlId);
        if (/^[0-9A-F]{20}$/.test(controlId)) return; // the client's CA of our AA
        socket.write(ack(controlId, 'CA'));
        setTimeout(() => socket.write(ack(controlId, 'AA', 'AL')), 30);
      });
      const sender = client(peer.port);
      const acks = await Promise.all(
        ['C1', 'C2'].map((id) => sender.send(message(id, 'AL'), signal())),
      );
      expect(acks.map((a) => a.code)).toEqual(['AA', 'AA']);
      // The client's CA carries a control id of its own (20 hex digits); C2's may still be on
      // its way.
      const kinds = frames.map((id) => (/^[0-9A-F]{20}$/.test(id) ? 'CA' : id));
      expect(kinds.slice(0, 3)).toEqual(['C1', 'CA', 'C2']);
    });

    it('never acknowledges an acknowledgment that does not ask for it', async () => {
      const frames: string[] = [];
      const peer = await listen((socket, controlId) => {
        frames.push(controlId);
        socket.write(Buffer.concat([ack(controlId, 'CA'), ack(controlId, 'AA', 'NE')]));
      });
      const sender = client(peer.port);
      await sender.send(message('C1', 'AL'), signal());
      await sender.send(message('C2'), signal());
      // An answer to C1's AA would have come before C2, on the same connection.
      expect(frames).toEqual(['C1', 'C2']);
    });

    it('drops the connection when a second commit acknowledgment comes instead of the application one', async () => {
      const peer = await listen((socket, controlId) =>
        socket.write(Buffer.concat([ack(controlId, 'CA'), ack(controlId, 'CA')])),
      );
      const sender = client(peer.port);
      const failed = await sender.send(message('C1', 'AL'), signal()).catch((e: unknown) => e);
      expect(failed).toMatchObject({ failure: 'protocol' });
      expect((failed as Error).message).toContain('second commit acknowledgment (CA) for C1');
    });

    it('stops waiting for the application acknowledgment when the signal aborts', async () => {
      const controller = new AbortController();
      const peer = await listen((socket, controlId) => {
        socket.write(ack(controlId, 'CA'));
        controller.abort();
      });
      const sender = client(peer.port, { applicationAckTimeoutMs: 60_000 });
      const sent = sender.send(message('C1', 'AL'), controller.signal);
      await expect(sent).rejects.toMatchObject({ code: 'PMS_CANCELLED' });
    });
  });
});
