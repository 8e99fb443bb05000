import { createRoot } from "react-dom/client";
import { pageData } from "../page-data";
import { App, type PageData } from "./App";
import "./book.css";

const root = document.getElementById("root");
if (root !== null) {
  createRoot(root).render(<App data={pageData<PageData>("page-data")} params={new URLSearchParams(location.search)} />);
}
