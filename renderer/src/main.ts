// Entry point: connect to main (preload global in Electron, WebSocket in the browser), build the
// app state around that one client, mount the UI.
import DOMPurify from 'dompurify';
import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { toErrorData } from '../../main/contract/errors.ts';
import { connect } from './api/connect.ts';
import { MarkdownRenderer, type Purifier } from './lib/markdown.ts';
import { AppState } from './state/app.svelte.ts';

const target = document.getElementById('app');
if (!target) throw new Error('#app missing from index.html');

const app = new AppState(connect(window), new MarkdownRenderer(DOMPurify as unknown as Purifier), window.localStorage);
// Every UI action runs as a fire-and-forget promise; a failure becomes the coded error banner.
window.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  app.notices.report(toErrorData(event.reason));
});
mount(App, { target, props: { app } });
