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
const fetcher = createGraphiQLFetcher({ url: new URL(data.endpoint, location.href).href });
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
