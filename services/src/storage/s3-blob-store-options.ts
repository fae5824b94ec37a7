export interface S3BlobStoreOptions {
  readonly bucket: string;
  /** @default the SDK's (AWS_REGION) */
  readonly region?: string;
  /** An S3-compatible endpoint URL. @default AWS S3 for the region */
  readonly endpoint?: string;
  /** Object keys start with this (no trailing slash needed). @default '' */
  readonly prefix?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which MinIO, Ceph and s3rver need. @default false */
  readonly forcePathStyle?: boolean;
  /** Static keys; without them the SDK's default chain is used (AWS_* variables, IRSA, instance roles). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** @default 3 */
  readonly maxAttempts?: number;
  /** @default 5000 */
  readonly connectTimeoutMs?: number;
  /** @default 60000 */
  readonly requestTimeoutMs?: number;
}
