import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (opts: { port: number; address: string; silent: boolean; directory: string }) => S3rverInstance;

// s3rver ships no types: the two methods used here are declared above.
const S3rver = require('s3rver') as S3rverClass;

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** A real S3-compatible server in this process, on a free port, with its data in a temporary directory. */
export class S3Server {
  private constructor(
    private server: S3rverInstance | undefined,
    readonly directory: string,
    public port: number,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(port = 0): Promise<S3Server> {
    const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
    const server = new S3rver({ port, address: '127.0.0.1', silent: true, directory });
    const address = await server.run();
    return new S3Server(server, directory, address.port);
  }

  /** Stops the server, keeping its data so restart() brings the same objects back on the same port. */
  async stop(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  async restart(): Promise<void> {
    if (this.server) return;
    this.server = new S3rver({ port: this.port, address: '127.0.0.1', silent: true, directory: this.directory });
    await this.server.run();
  }

  async createBucket(name: string): Promise<void> {
    const client = new S3Client({ endpoint: this.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
    try {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    } finally {
      client.destroy();
    }
  }

  /** The environment a process needs to use this server as its blob store. */
  env(bucket: string): Record<string, string> {
    return {
      BLOB_BACKEND: 's3',
      S3_ENDPOINT: this.endpoint,
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    };
  }

  async close(): Promise<void> {
    await this.stop();
    await rm(this.directory, { recursive: true, force: true });
  }
}
