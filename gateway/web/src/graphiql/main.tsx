import { createGraphiQLFetcher } from "@graphiql/toolkit";
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
const fetcher = createGraphiQLFetcher({ url: endpoint.href, subscriptionUrl: socket.href });
const root = document.getElementById("root");
if (root !== null) {
  createRoot(root).render(
    <GraphiQL
      fetcher={fetcher}
      defaultTabs={data.tabs}
      // GraphiQL opens its first tab's query but not its variables without this.
      variables={data.tabs[0]?.variables}
      // Tabs come from the gateway each time: a stored set would keep yesterday's dates.
      storage={sessionStorage}
      defaultEditorToolsVisibility="variables"
    />,
  );
}
