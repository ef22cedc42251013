#!/usr/bin/env node
// Assembles an image archive from layers on disk, with no build container and no network: each
// layer is a directory (tarred here, reproducibly) or a ready tar file. The archive is both an OCI
// image layout (index.json; the name in its io.containerd.image.name annotation) and a Docker
// archive (manifest.json with RepoTags), as Docker 25 writes them, so one file serves
// `ctr images import` (what `minikube image load <file>` runs in the node), minikube's own image
// cache (read with go-containerregistry) and `docker load`.
//
//   node oci-image.mjs --name dev.local/todo/x:1 --out x.tar --layer rootfs/ [--layer app.tar]
//        [--entrypoint '["/x","--flag"]'] [--cmd '[...]'] [--env K=V]... [--user 65532:65532]
//        [--workdir /app] [--port 8080] [--stop-signal SIGRTMIN+3]
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    name: { type: "string" },
    out: { type: "string" },
    layer: { type: "string", multiple: true, default: [] },
    entrypoint: { type: "string" },
    cmd: { type: "string" },
    env: { type: "string", multiple: true, default: [] },
    user: { type: "string" },
    workdir: { type: "string" },
    port: { type: "string", multiple: true, default: [] },
    "stop-signal": { type: "string" },
  },
});
if (!values.name || !values.out || values.layer.length === 0) {
  console.error("usage: oci-image.mjs --name NAME --out FILE --layer DIR|TAR [--layer ...] [options]");
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "oci-"));
const blobs = join(work, "blobs", "sha256");
mkdirSync(blobs, { recursive: true });
const sha256 = (buffer) => createHash("sha256").update(buffer).digest("hex");

/** Writes a blob and returns its descriptor. */
function blob(mediaType, content) {
  const digest = sha256(content);
  writeFileSync(join(blobs, digest), content);
  return { mediaType, digest: `sha256:${digest}`, size: content.length };
}

/** A directory becomes a tar with fixed order and times, numeric owners kept: same input, same digest. */
function layerTar(path) {
  if (!statSync(path).isDirectory()) return readFileSync(path);
  return execFileSync(
    "tar",
    ["--create", "--sort=name", "--mtime=@0", "--numeric-owner", "--xattrs", "--directory", resolve(path), "."],
    { maxBuffer: 4 * 1024 ** 3 },
  );
}

const layers = values.layer.map((path) => blob("application/vnd.oci.image.layer.v1.tar", layerTar(path)));
const config = {
  architecture: "amd64",
  os: "linux",
  config: {
    ...(values.entrypoint ? { Entrypoint: JSON.parse(values.entrypoint) } : {}),
    ...(values.cmd ? { Cmd: JSON.parse(values.cmd) } : {}),
    Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", ...values.env],
    ...(values.user ? { User: values.user } : {}),
    ...(values.workdir ? { WorkingDir: values.workdir } : {}),
    ...(values.port.length ? { ExposedPorts: Object.fromEntries(values.port.map((p) => [`${p}/tcp`, {}])) } : {}),
    ...(values["stop-signal"] ? { StopSignal: values["stop-signal"] } : {}),
  },
  rootfs: { type: "layers", diff_ids: layers.map((layer) => layer.digest) },
};
const configBlob = blob("application/vnd.oci.image.config.v1+json", Buffer.from(JSON.stringify(config)));
const manifest = blob(
  "application/vnd.oci.image.manifest.v1+json",
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: configBlob,
      layers,
    }),
  ),
);
const tag = values.name.slice(values.name.lastIndexOf(":") + 1);
writeFileSync(
  join(work, "index.json"),
  JSON.stringify({
    schemaVersion: 2,
    manifests: [
      {
        ...manifest,
        annotations: { "io.containerd.image.name": values.name, "org.opencontainers.image.ref.name": tag },
      },
    ],
  }),
);
writeFileSync(join(work, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
const blobPath = (descriptor) => `blobs/sha256/${descriptor.digest.slice("sha256:".length)}`;
writeFileSync(
  join(work, "manifest.json"),
  JSON.stringify([{ Config: blobPath(configBlob), RepoTags: [values.name], Layers: layers.map(blobPath) }]),
);
const partial = `${values.out}.partial`;
execFileSync("tar", [
  "--create",
  "--file",
  partial,
  "--directory",
  work,
  "oci-layout",
  "index.json",
  "manifest.json",
  "blobs",
]);
renameSync(partial, values.out);
rmSync(work, { recursive: true, force: true });
console.log(`${values.name} ${manifest.digest} (${layers.length} layers)`);
