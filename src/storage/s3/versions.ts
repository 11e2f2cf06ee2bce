import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Sdk } from './client.js';

export interface KeyVersion {
  readonly versionId: string | undefined;
  readonly latest: boolean;
  readonly deleteMarker: boolean;
  readonly modified: number;
}

/**
 * The versions and delete markers of exactly this key (not of keys it prefixes), oldest first and
 * the current one last: deleting in that order never exposes an older version as the object.
 */
export async function keyVersions(
  c: { client: S3Client; sdk: S3Sdk },
  bucket: string,
  key: string,
): Promise<KeyVersion[]> {
  const entries: KeyVersion[] = [];
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    const page = await c.client.send(
      new c.sdk.ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: key,
        ...(keyMarker ? { KeyMarker: keyMarker } : {}),
        ...(versionMarker ? { VersionIdMarker: versionMarker } : {}),
      }),
    );
    const add = (v: { Key?: string; VersionId?: string; IsLatest?: boolean; LastModified?: Date }, marker: boolean) => {
      if (v.Key !== key) return;
      const modified = v.LastModified?.getTime() ?? 0;
      entries.push({ versionId: v.VersionId, latest: v.IsLatest === true, deleteMarker: marker, modified });
    };
    for (const v of page.Versions ?? []) add(v, false);
    for (const m of page.DeleteMarkers ?? []) add(m, true);
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  entries.sort((a, b) => Number(a.latest) - Number(b.latest) || a.modified - b.modified);
  return entries;
}
