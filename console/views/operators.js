// Operators (admin): dead-letter queues with their depths, each message's reason, replay, and purge after a confirmation.
import { html, Component } from '/console/html.js';
import { apiCall } from '/console/api.js';
import { startPolling } from '/console/live.js';

const queuePath = (queue) => `/admin/dead-letters/${encodeURIComponent(queue)}`;

export class Operators extends Component {
  state = { queues: [], open: undefined, messages: [], error: undefined, notice: undefined, confirmPurge: undefined, busy: false };
  signature = '';

  componentDidMount() {
    this.stopPolling = startPolling(() => this.load(), { minMs: 2_000, maxMs: 20_000 });
    void this.load();
  }

  componentWillUnmount() {
    this.stopPolling();
  }

  load = async () => {
    const { session } = this.props;
    try {
      const { queues } = await apiCall(session, '/admin/dead-letters');
      const messages = this.state.open ? (await apiCall(session, queuePath(this.state.open))).messages : [];
      const signature = JSON.stringify([queues, messages]);
      const changed = signature !== this.signature;
      this.signature = signature;
      this.setState({ queues, messages, error: undefined });
      return changed;
    } catch (error) {
      this.setState({ error: error.message });
      throw error;
    }
  };

  openQueue(queue) {
    this.setState({ open: queue, messages: [], confirmPurge: undefined, notice: undefined }, () => void this.load());
  }

  /** Replays or purges, then says what happened and reads the queues again. */
  async act(work, describe) {
    this.setState({ busy: true, error: undefined, notice: undefined });
    try {
      const answer = await work();
      this.setState({ notice: describe(answer), confirmPurge: undefined });
      await this.load();
    } catch (error) {
      this.setState({ error: error.message });
    } finally {
      this.setState({ busy: false });
    }
  }

  replay(queue, messageId) {
    const body = messageId === undefined ? {} : { messageId };
    return this.act(() => apiCall(this.props.session, `${queuePath(queue)}/replay`, { method: 'POST', body }), ({ replayed }) => `Replayed ${replayed} message${replayed === 1 ? '' : 's'} from ${queue}.`);
  }

  purge(queue, messageId) {
    const path = `${queuePath(queue)}${messageId === undefined ? '' : `?messageId=${encodeURIComponent(messageId)}`}`;
    return this.act(() => apiCall(this.props.session, path, { method: 'DELETE' }), ({ purged }) => `Purged ${purged} message${purged === 1 ? '' : 's'} from ${queue}.`);
  }

  render(_props, { queues, open, messages, error, notice, confirmPurge, busy }) {
    return html`
      <section class="panel">
        <h1>Operators: dead letters</h1>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        ${notice && html`<p class="notice" role="status">${notice}</p>`}
        <div class="table-scroll">
          <table class="queues">
            <thead><tr><th scope="col">Queue</th><th scope="col">Kind</th><th scope="col">Failures from</th><th scope="col" class="number">Messages</th><th scope="col">Actions</th></tr></thead>
            <tbody>
              ${queues.map(
                (queue) => html`
                  <tr key=${queue.queue} data-queue=${queue.queue} class=${queue.messages > 0 ? 'has-messages' : ''}>
                    <td>${queue.queue}</td>
                    <td>${queue.kind}</td>
                    <td>${queue.consumerQueue ?? '—'}</td>
                    <td class="number depth">${queue.messages}</td>
                    <td class="actions">
                      <button type="button" class="secondary" aria-expanded=${open === queue.queue ? 'true' : 'false'} onClick=${() => this.openQueue(queue.queue)}>Show messages</button>
                      <button type="button" disabled=${busy || queue.messages === 0} onClick=${() => this.replay(queue.queue)}>Replay all</button>
                      <button type="button" class="danger" disabled=${busy || queue.messages === 0} onClick=${() => this.setState({ confirmPurge: { queue: queue.queue } })}>Purge…</button>
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>
        ${confirmPurge &&
        html`<div class="confirm" role="alertdialog" aria-labelledby="confirm-title">
          <p id="confirm-title"><strong>Purge ${confirmPurge.messageId ? `message ${confirmPurge.messageId} from` : 'every message in'} ${confirmPurge.queue}?</strong> Purged messages are gone for good.</p>
          <button type="button" class="danger" disabled=${busy} onClick=${() => this.purge(confirmPurge.queue, confirmPurge.messageId)}>Yes, purge</button>
          <button type="button" class="secondary" onClick=${() => this.setState({ confirmPurge: undefined })}>Keep them</button>
        </div>`}
        ${open &&
        html`<h2>Messages in ${open}</h2>
          ${messages.length === 0 && html`<p>No messages waiting.</p>`}
          <ul class="dead-letters">
            ${messages.map(
              (message) => html`
                <li key=${message.messageId} data-message-id=${message.messageId}>
                  <p><strong>${message.type ?? 'unknown type'}</strong> ${message.orderId && html`for order <a href=${`#/orders/${encodeURIComponent(message.orderId)}`}>${message.orderId}</a>`}</p>
                  <p class="reason-text">Reason: ${message.reason}</p>
                  <p class="hint">${message.attempts !== null ? `${message.attempts} attempts · ` : ''}dead-lettered ${message.deadLetteredAt ?? 'at an unknown time'} · replays to ${message.originalQueue ?? 'the events exchange'}</p>
                  ${message.messageId &&
                  html`<button type="button" disabled=${busy} onClick=${() => this.replay(open, message.messageId)}>Replay</button>
                    <button type="button" class="danger" disabled=${busy} onClick=${() => this.setState({ confirmPurge: { queue: open, messageId: message.messageId } })}>Purge…</button>`}
                </li>`,
            )}
          </ul>`}
      </section>
    `;
  }
}
