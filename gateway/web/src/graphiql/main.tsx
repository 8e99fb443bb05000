import { createGraphiQLFetcher, type Fetcher } from "@graphiql/toolkit";
import { Kind, parse } from "graphql";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import "./page.css";
import { createRoot } from "react-dom/client";
import { pageData } from "../page-data";

interface Tab {
  query: string;
  variables: string;
}

interface GraphiQLData {
  endpoint: string;
  tabs: Tab[];
}

const data = pageData<GraphiQLData>("page-data");
const endpoint = new URL(data.endpoint, location.href);
const socket = new URL(endpoint);
socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";
// Subscriptions (availabilityChanged) over graphql-transport-ws on the same path.
const transport = createGraphiQLFetcher({ url: endpoint.href, subscriptionUrl: socket.href });

// What GraphiQL knows of the document lags a switch of tabs: a stale operation name or parsed
// document would send a subscription as a plain POST, or ask for an operation not there.
// The document sent is read afresh each time.
const fetcher: Fetcher = (params, options) => {
  let documentAST = options?.documentAST;
  let operationName = params.operationName;
  try {
    documentAST = parse(params.query);
    const operations = documentAST.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    if (operations.length === 1) operationName = operations[0].name?.value ?? operationName;
  } catch {
    // Sent as it is: the gateway answers what does not parse.
  }
  return transport({ ...params, operationName }, { ...options, documentAST });
};

// GraphiQL's storage, in memory: the tabs come from the gateway each time (a stored set would
// keep yesterday's dates), and the first tab's variables are where GraphiQL reads them first.
class PageStorage implements Storage {
  private readonly items = new Map<string, string>();

  constructor(seed: Record<string, string>) {
    for (const [key, value] of Object.entries(seed)) this.items.set(key, value);
  }

  get length(): number {
    return this.items.size;
  }

  clear(): void {
    this.items.clear();
  }

  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  key(index: number): string | null {
    return Array.from(this.items.keys())[index] ?? null;
  }

  removeItem(key: string): void {
    this.items.delete(key);
  }

  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

const storage = new PageStorage({ "graphiql:variables": data.tabs[0]?.variables ?? "" });
const root = document.getElementById("root");
if (root !== null) {
  createRoot(root).render(
    <GraphiQL
      fetcher={fetcher}
      defaultTabs={data.tabs}
      storage={storage}
      defaultEditorToolsVisibility="variables"
    />,
  );
}
