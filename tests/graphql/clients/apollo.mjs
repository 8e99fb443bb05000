// Apollo Client against the gateway, the way a web app would run it.
//
//   GATEWAY_URL=http://127.0.0.1:PORT OPERATIONS=.../schema/operations node apollo.mjs apq
//   GATEWAY_URL=... OPERATIONS=... MANIFEST=.../persisted-query-manifest.json node apollo.mjs manifest
//
// "apq": automatic persisted queries with useGETForHashedQueries, each operation by a fresh
// client (so a fresh cache and a fresh hash registry), twice. "manifest": persisted query
// lists, ids from the manifest Apollo's tooling generated, never a document. It prints one JSON
// object: every HTTP exchange the clients made, and what each operation answered.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { generatePersistedQueryIdsFromManifest } from "@apollo/persisted-query-lists";

const gateway = process.env.GATEWAY_URL;
const operations = process.env.OPERATIONS;
const exchanges = [];

function sha256(text) {
  return createHash("sha256").update(text).digest("hex");
}

function described(method, url, body) {
  const sent = method === "GET" ? Object.fromEntries(new URL(url).searchParams) : JSON.parse(body);
  const extensions =
    typeof sent.extensions === "string" ? JSON.parse(sent.extensions) : sent.extensions;
  return {
    method,
    operationName: sent.operationName ?? null,
    query: typeof sent.query === "string" && sent.query.length > 0,
    hash: extensions?.persistedQuery?.sha256Hash ?? null,
  };
}

// Every exchange, as the client saw it.
async function recordingFetch(url, options) {
  const method = (options?.method ?? "GET").toUpperCase();
  const response = await fetch(url, options);
  const text = await response.clone().text();
  let code = null;
  try {
    code = JSON.parse(text).errors?.[0]?.extensions?.code ?? null;
  } catch {
    code = "NOT_JSON";
  }
  exchanges.push({
    ...described(method, String(url), options?.body),
    status: response.status,
    code,
    cacheControl: response.headers.get("cache-control"),
    etag: response.headers.get("etag"),
  });
  return response;
}

function document(name) {
  return gql(readFileSync(join(operations, `${name}.graphql`), "utf8"));
}

function client(persisted, http = {}) {
  const link = ApolloLink.from([
    persisted,
    new HttpLink({ uri: `${gateway}/graphql`, fetch: recordingFetch, ...http }),
  ]);
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

const INFO = { slug: "mel-nelson", timeZone: "UTC" };

async function apq() {
  const results = {};
  const hashed = () => new PersistedQueryLink({ sha256, useGETForHashedQueries: true });
  for (const round of ["first", "again"]) {
    // The document POSTed after a miss (Apollo's default), or sent by GET as well.
    const links = await client(hashed()).query({ query: document("ListMeetingLinks") });
    const info = await client(hashed(), { useGETForQueries: true }).query({
      query: document("MeetingLinkBookingInfo"),
      variables: INFO,
    });
    const release = await client(hashed()).mutate({
      mutation: document("ReleaseHold"),
      variables: { id: "no-such-hold" },
    });
    results[round] = {
      links: links.data.meetingLinks.totalCount,
      info: info.data.meetingLink.slug,
      release: release.data.releaseHold.__typename,
    };
  }
  return results;
}

async function manifest() {
  const list = JSON.parse(readFileSync(process.env.MANIFEST, "utf8"));
  const persisted = new PersistedQueryLink({
    ...generatePersistedQueryIdsFromManifest({ loadManifest: () => list }),
    useGETForHashedQueries: true,
  });
  const apollo = client(persisted);
  const links = await apollo.query({ query: document("ListMeetingLinks") });
  const info = await apollo.query({ query: document("MeetingLinkBookingInfo"), variables: INFO });
  return {
    links: links.data.meetingLinks.totalCount,
    info: info.data.meetingLink.bookingInfo.timeZone,
  };
}

const scenarios = { apq, manifest };
const results = await scenarios[process.argv[2]]();
process.stdout.write(JSON.stringify({ results, exchanges }));
