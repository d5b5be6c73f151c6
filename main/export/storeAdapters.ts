// The export's views of the ChatStore: a reader over its transcripts, the image bytes it keeps, and
// a sink that stores imported images (on the same connection, so inside the import's transaction).
import type { ChatStore } from '../store/ChatStore.ts';
import type { ImageSink } from './importTranscript.ts';
import type { ExportReader, ImageSource } from './source.ts';

export function exportReaderOf(store: ChatStore): ExportReader {
  return { transcripts: store.transcripts(), getConversation: (id) => store.getConversation(id) };
}

export function imageSourceOf(store: ChatStore): ImageSource {
  return { read: (sha256) => ({ bytes: store.images.read(sha256), mime: store.images.get(sha256).mime }) };
}

export function imageSinkOf(store: ChatStore): ImageSink {
  return { put: (bytes, meta) => store.images.put(bytes, meta) };
}
