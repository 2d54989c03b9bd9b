// The TypeScript examples of the design guides in ../shared/seeds (000_*.txt, 002_*.txt),
// served with the official Inngest JS SDK 3.x (inngest3) at /api/inngest.
//
// Adapted ONLY for: imports (inngest3), plain JS instead of TS syntax (type annotations, generics
// and `as const` stripped), the fake model URL (`baseUrl: MODEL_BASE_URL` on every model), one
// client for all examples (the guides build several `new Inngest({ id: 'my-app', ... })`; their
// middleware lists are merged onto this one), ids that two examples share (suffixed `-2`), and
// the external services the examples call, which are the tiny deterministic stubs below.
// Steps, step ids, options and flow-control config are as written in the guides.
//
// Env: PORT, APP_ID, LOG_FILE, INNGEST_DEV=1, INNGEST_BASE_URL (as app.mjs), plus
// MODEL_BASE_URL (the fake OpenAI-compatible endpoint, e.g. http://127.0.0.1:1234/v1) and
// OPENAI_API_KEY (read by the SDK's openai model adapter).
import fs from "node:fs";
import http from "node:http";
import { Inngest, InngestMiddleware, RetryAfterError } from "inngest3";
import { serve } from "inngest3/node";

const PORT = Number(process.env.PORT || 3000);
const APP_ID = process.env.APP_ID || "seeds";
const LOG_FILE = process.env.LOG_FILE || "/tmp/inngest-seeds-app.log";
const MODEL_BASE_URL = process.env.MODEL_BASE_URL || "http://127.0.0.1:9/v1";

const log = (line) => fs.appendFileSync(LOG_FILE, `${line}\n`);

// --- Stubs for the external services the examples call (deterministic) -----------------------

const db = {
  load: (_sql) => [
    { id: "user-1", email: "ada@example.com" },
    { id: "user-2", email: "grace@example.com" },
  ],
  bulkInsert: (items) => ({ inserted: items.length }),
  insert: (data) => ({ inserted: 1, data }),
  user: {
    get: (id) => ({ id, name: `user ${id}`, exported: false }),
    update: (id, data) => ({ id, ...data }),
  },
};

const emailService = {
  send: (...args) => {
    log(`email:${JSON.stringify(args)}`);
    return { success: true, id: "email-1" };
  },
};

// Twilio: the number +15550000429 is rate limited on its first message (429, retry after 2s).
const smsAttempts = new Map();
const twilio = {
  messages: {
    create: ({ to, body }) => {
      const attempt = (smsAttempts.get(to) || 0) + 1;
      smsAttempts.set(to, attempt);
      log(`sms:${to}:${attempt}`);
      if (to === "+15550000429" && attempt === 1) return { status: 429, retryAfter: "2s" };
      return { status: 201, sid: `SM-${to}`, to, body };
    },
  },
};

// fetch() of the weather example: api.weather.com is down (503), the backup answers.
const stubFetch = async (url) => {
  log(`fetch:${url}`);
  if (url.startsWith("https://api.weather.com/")) throw new Error("api.weather.com: 503 Service Unavailable");
  return { json: async () => ({ source: url, forecast: "sunny", temperatureC: 21 }) };
};

const notificationService = { send: (message) => ({ sent: true, ...message }) };
const logger = { error: (message, data) => log(`logger.error:${message}:${JSON.stringify(data)}`) };
const crawlWeb = async (query) => {
  log(`crawl:${query}`);
  return `results for ${query}`;
};
const callPrimaryAPI = () => ({ source: "primary", ok: true });
const callBackupAPI = () => ({ source: "backup", ok: true });
const sendAlert = (error) => {
  log(`alert:${error?.message}`);
  return { alerted: true };
};
const initializeDependency = () => ({ name: "dependency" });

// The `openai` npm client of §5.2, reduced to the one call the example makes; it posts to the
// fake model endpoint.
class OpenAI {
  constructor({ apiKey }) {
    this.chat = {
      completions: {
        create: async (body) => {
          const response = await fetch(`${MODEL_BASE_URL}/chat/completions`, {
            method: "POST",
            headers: { "Content-Type": "application/json", Authorization: `Bearer ${apiKey}` },
            body: JSON.stringify(body),
          });
          if (!response.ok) throw new Error(`OpenAI answered ${response.status}`);
          return response.json();
        },
      },
    };
  }
}

// Middleware §5.4 names but does not define: no-ops.
const noopMiddleware = (name) => new InngestMiddleware({ name, init: () => ({}) });
const logMiddleware = noopMiddleware("log");
const errorMiddleware = noopMiddleware("error");
const dbSetupMiddleware = noopMiddleware("db-setup");
const datadogMiddleware = noopMiddleware("datadog");

// --- 002 §5 middleware, as written ----------------------------------------------------------

// §5.1 Basic Middleware Structure
const myMiddleware = new InngestMiddleware({
  name: 'My Middleware',
  async init() {
    // Setup dependencies
    const dependency = initializeDependency();

    return {
      onFunctionRun({ ctx, fn, steps }) {
        // Access initialization context via closures

        return {
          beforeExecution() {
            console.log('Before function execution');
          },

          afterExecution() {
            console.log('After function execution');
          },

          transformInput({ ctx, fn, steps }) {
            // Inject into function context
            return {
              ctx: {
                customProperty: dependency,
              },
            };
          },
        };
      },

      onSendEvent() {
        return {
          beforeSend({ events }) {
            console.log(`Sending ${events.length} events`);
          },
        };
      },
    };
  },
});

// §5.2 Dependency Injection Middleware
const openaiMiddleware = new InngestMiddleware({
  name: 'OpenAI Middleware',
  init() {
    const openai = new OpenAI({
      apiKey: process.env.OPENAI_API_KEY,
    });

    return {
      onFunctionRun(ctx) {
        return {
          transformInput(ctx) {
            return {
              ctx: {
                openai,
              },
            };
          },
        };
      },
    };
  },
});

// §5.3 Actions Middleware
const createActionsMiddleware = (rawActions) => {
  return new InngestMiddleware({
    name: 'Inngest: Actions',
    init: () => {
      return {
        onFunctionRun: () => {
          return {
            transformInput: ({ ctx: { step } }) => {
              const actions = Object.entries(rawActions).reduce((acc, [key, value]) => {
                if (typeof value !== 'function') return acc;

                const action = (idOrOptions, ...args) => {
                  return step.run(idOrOptions, () => value(...args));
                };

                return { ...acc, [key]: action };
              }, {});

              return {
                ctx: { action: actions },
              };
            },
          };
        },
      };
    },
  });
};

// §5.5 Type Inference with Middleware
const middleware = new InngestMiddleware({
  name: 'Typed Middleware',
  init() {
    return {
      onFunctionRun() {
        return {
          transformInput() {
            return {
              ctx: {
                foo: 'bar', // Literal type
              },
            };
          },
        };
      },
    };
  },
});

// One client: the middleware lists of §5.2, §5.3 and §5.4, plus §5.1's and §5.5's examples.
const inngest = new Inngest({
  id: APP_ID,
  middleware: [
    myMiddleware,
    openaiMiddleware,
    createActionsMiddleware({
      getUser(id) {
        return db.user.get(id);
      },
      updateUser(id, data) {
        return db.user.update(id, data);
      },
    }),
    logMiddleware, // Executed first (reverse order)
    errorMiddleware, // Executed second
    middleware,
  ],
});

// --- 002 §1 Function Creation Patterns ----------------------------------------------------------

// §1.1 Basic Event Trigger
const functionId = inngest.createFunction(
  { id: 'function-id' },
  { event: 'app/event.name' },
  async ({ event, step }) => {
    // Access event data
    const { userId, data } = event.data;

    // Function logic here
    return { success: true };
  }
);

// §1.2 Cron Trigger (Scheduled Function)
const scheduledTask = inngest.createFunction(
  { id: 'scheduled-task' },
  { cron: 'TZ=America/New_York 0 9 * * 1-5' }, // 9am weekdays in NY timezone
  async ({ step }) => {
    // No event parameter for cron triggers
    await step.run('execute-task', async () => {
      // Scheduled task logic
      return { executed: new Date() };
    });
  }
);

// §1.3 Multiple Triggers
const resyncUserData = inngest.createFunction(
  { id: 'resync-user-data' },
  [
    { event: 'user.created' },
    { event: 'user.updated' },
    { cron: '0 5 * * *' }, // Daily at 5am
  ],
  async ({ event, step }) => {
    // Handle both event-triggered and scheduled runs
    const userId = event?.data?.userId;

    await step.run('sync-data', async () => {
      // Sync logic
    });
  }
);

// §1.4 Conditional Event Trigger
const priorityHandler = inngest.createFunction(
  { id: 'priority-handler' },
  {
    event: 'app/account.created',
    if: 'event.data.priority >= 4' // CEL expression
  },
  async ({ event, step }) => {
    // Only processes high-priority events
  }
);

// §1.5 Development vs Production Triggers
const conditionalTrigger = inngest.createFunction(
  { id: 'conditional-trigger' },
  process.env.NODE_ENV === 'production'
    ? { cron: '0 5 * * *' }
    : { event: 'dev/manual-trigger' },
  async ({ event, step }) => {
    // Production: runs on schedule
    // Development: runs on manual event
  }
);

// --- 002 §2 Step Patterns -------------------------------------------------------------------------

// §2.4 Complete Fan-out Example
// Scheduler function
const prepareWeeklyDigest = inngest.createFunction(
  { id: 'prepare-weekly-digest' },
  { cron: 'TZ=Europe/Paris 0 12 * * 5' },
  async ({ step }) => {
    const users = await step.run('load-users', async () => {
      return db.load('SELECT * FROM users');
    });

    const events = users.map(user => ({
      name: 'app/send.weekly.digest',
      data: {
        user_id: user.id,
        email: user.email,
      },
    }));

    await step.sendEvent('send-digest-events', events);

    return { count: users.length };
  }
);

// Worker function (runs in parallel for each event)
const sendWeeklyDigest = inngest.createFunction(
  { id: 'send-weekly-digest-email' },
  { event: 'app/send.weekly.digest' },
  async ({ event }) => {
    const { email, user_id } = event.data;
    await emailService.send('weekly_digest', email, user_id);
  }
);

// §2.5 step.invoke() - Function Composition
// Define reusable function
const computeSquare = inngest.createFunction(
  { id: 'compute-square' },
  { event: 'calculate/square' },
  async ({ event }) => {
    return { result: event.data.number * event.data.number };
  }
);

// Invoke from another function
const mainFunction = inngest.createFunction(
  { id: 'main-function' },
  { event: 'main/event' },
  async ({ step }) => {
    const square = await step.invoke('compute-square-value', {
      function: computeSquare,
      data: { number: 4 },
    });

    console.log(square.result); // 16 (typed)
    return `Square of 4 is ${square.result}`;
  }
);

// --- 002 §3 Error Handling ------------------------------------------------------------------------

// §3.1 Automatic Retries
const sendUserEmail = inngest.createFunction(
  {
    id: 'send-user-email',
    retries: 5, // Default retry count
  },
  { event: 'user/created' },
  async ({ event, step }) => {
    await step.run('send-email', async () => {
      const result = await emailService.send({
        to: event.data.email,
        template: 'welcome',
      });

      if (!result.success) {
        throw new Error('Email failed to send');
      }

      return result;
    });
  }
);

// §3.2 RetryAfterError - Custom Retry Timing
const sendWelcomeSms = inngest.createFunction(
  { id: 'send-welcome-sms' },
  { event: 'app/user.created' },
  async ({ event, step }) => {
    await step.run('send-sms', async () => {
      const result = await twilio.messages.create({
        to: event.data.user.phoneNumber,
        body: 'Welcome to our service!',
      });

      // Handle rate limiting
      if (result.status === 429 && result.retryAfter) {
        throw new RetryAfterError(
          'Hit Twilio rate limit',
          result.retryAfter // Duration or Date
        );
      }

      return result;
    });
  }
);

// §3.3 onFailure Handler
const importProductImages = inngest.createFunction(
  {
    id: 'import-product-images',
    onFailure: async ({ error, event, step }) => {
      // Called after all retries exhausted
      await step.run('notify-admin', async () => {
        await notificationService.send({
          channel: 'alerts',
          message: `Import failed for product ${event.data.productId}`,
          error: error.message,
        });
      });

      await step.run('log-to-monitoring', async () => {
        await logger.error('Product import failed', {
          productId: event.data.productId,
          error: error.stack,
          eventId: event.id,
        });
      });
    },
  },
  { event: 'shop/product.imported' },
  async ({ event, step }) => {
    // Main function logic
  }
);

// §3.4 Step Error Recovery with try/catch (fetch -> stubFetch)
const sendWeatherForecast = inngest.createFunction(
  { id: 'send-weather-forecast' },
  { event: 'weather/forecast.requested' },
  async ({ event, step }) => {
    let data;

    try {
      data = await step.run('get-public-weather-data', async () => {
        return await stubFetch('https://api.weather.com/data').then(r => r.json());
      });
    } catch (err) {
      // err is instance of StepError
      // Recover with backup step
      data = await step.run('use-backup-weather-api', async () => {
        return await stubFetch('https://api.stormwaters.com/data').then(r => r.json());
      });
    }

    // Continue with data
    await step.run('send-forecast', async () => {
      await emailService.send({ data });
    });
  }
);

// §3.5 Function Cancellation
const syncContacts = inngest.createFunction(
  {
    id: 'sync-contacts',
    cancelOn: [
      {
        event: 'app/user.deleted',
        if: 'async.data.userId == event.data.userId',
      },
      {
        event: 'app/subscription.cancelled',
        match: 'data.userId',
      },
    ],
  },
  { event: 'app/user.created' },
  async ({ event, step }) => {
    // Long-running sync process
    await step.sleep('wait-for-verification', '7d');
    // Cancelled if user deleted before 7 days
  }
);

// --- 002 §4 AI ----------------------------------------------------------------------------------

// §4.1 step.ai.infer() - Model Inference
const researchWebTool = inngest.createFunction(
  { id: 'research-web-tool' },
  { event: 'research-web-tool/run' },
  async ({ event, step }) => {
    const { input } = event.data;

    // Generate search queries with AI
    const searchQueries = await step.ai.infer('generate-search-queries', {
      model: step.ai.models.openai({ model: 'gpt-4o', baseUrl: MODEL_BASE_URL }),
      body: {
        messages: [{
          role: 'user',
          content: `From the given input, generate a list of search queries to perform.\n${input}`,
        }],
      },
    });

    // Parallel web crawling
    const searchResults = await Promise.all(
      searchQueries.map((query, idx) =>
        step.run(`crawl-web-${idx}`, async () => {
          return await crawlWeb(query);
        })
      )
    );

    // Summarize results
    const summary = await step.ai.infer('summarize-search-results', {
      model: step.ai.models.openai({ model: 'gpt-4o', baseUrl: MODEL_BASE_URL }),
      body: {
        messages: [{
          role: 'user',
          content: `Summarize the following search results:\n${searchResults.join('\n')}`,
        }],
      },
    });

    return summary.choices[0].message.content;
  }
);

// §4.3 Multi-step tool (Inngest Function); same id as §4.1 in the guide, hence `-2`. The
// AgentKit parts around it (createAgent, createNetwork, createServer) are not Inngest functions.
const researchWebTool2 = inngest.createFunction(
  { id: 'research-web-tool-2' },
  { event: 'research-web-tool/run' },
  async ({ event, step }) => {
    const { input } = event.data;

    // Step 1: Generate search queries
    const queries = await step.ai.infer('generate-queries', {
      model: step.ai.models.openai({ model: 'gpt-4o', baseUrl: MODEL_BASE_URL }),
      body: {
        messages: [{
          role: 'user',
          content: `Generate search queries from: ${input}`,
        }],
      },
    });

    // Step 2: Parallel web crawling
    const results = await Promise.all(
      queries.map((q, i) => step.run(`crawl-${i}`, () => crawlWeb(q)))
    );

    // Step 3: Summarize
    const summary = await step.ai.infer('summarize', {
      model: step.ai.models.openai({ model: 'gpt-4o', baseUrl: MODEL_BASE_URL }),
      body: {
        messages: [{
          role: 'user',
          content: `Summarize: ${results.join('\n')}`,
        }],
      },
    });

    return summary.choices[0].message.content;
  }
);

// --- 002 §5 Middleware and Context ----------------------------------------------------------------

// §5.2 Use in function
const userCreate = inngest.createFunction(
  { id: 'user-create' },
  { event: 'app/user.create' },
  async ({ openai, event, step }) => {
    const completion = await openai.chat.completions.create({
      messages: [{ role: 'user', content: 'Say this is a test' }],
      model: 'gpt-3.5-turbo',
    });

    return completion.choices[0].message.content;
  }
);

// §5.3 Usage
const userDataDump = inngest.createFunction(
  { id: 'user-data-dump' },
  { event: 'app/data.requested' },
  async ({ event, action: { getUser, updateUser } }) => {
    // Actions automatically wrapped in step.run()
    const user = await getUser('get-user-details', event.data.userId);
    await updateUser('update-user', user.id, { exported: true });
  }
);

// §5.4 Function-level middleware (specific function)
const example = inngest.createFunction(
  {
    id: 'example',
    middleware: [
      dbSetupMiddleware, // Executed third
      datadogMiddleware, // Executed fourth
    ],
  },
  { event: 'test' },
  async () => {
    // Function logic
  }
);

// §5.5 Function receives inferred type; same id as §5.4 in the guide, hence `-2`.
const example2 = inngest.createFunction(
  { id: 'example-2' },
  { event: 'test' },
  async ({ foo }) => {
    // foo is typed as 'bar' (not string)
    console.log(foo); // 'bar'
  }
);

// --- 002 §6 Advanced Patterns (flow control: stored by the server, not enforced yet) ------------

// §6.1 Concurrency Control
// Simple limit; same id as §3.5 in the guide, hence `-2`.
const syncContacts2 = inngest.createFunction(
  {
    id: 'sync-contacts-2',
    concurrency: 10, // Max 10 concurrent executions
  },
  { event: 'contact/sync.requested' },
  async ({ event, step }) => {
    // Function logic
  }
);

// Per-user limit
const processCustomerCsvImport = inngest.createFunction(
  {
    id: 'process-customer-csv-import',
    concurrency: {
      limit: 1,
      key: 'event.data.customerId', // One per customer
    },
  },
  { event: 'csv/file.uploaded' },
  async ({ event, step }) => {
    // Only one import per customer at a time
  }
);

// Multiple scopes
const aiSummary = inngest.createFunction(
  {
    id: 'ai-summary',
    concurrency: [
      {
        scope: 'account', // Shared across all functions
        key: '"openai"', // Static key (quoted string)
        limit: 60, // 60 total OpenAI calls
      },
      {
        scope: 'fn', // Function-specific
        key: 'event.data.userId', // Per user for this function
        limit: 1, // One per user
      },
    ],
  },
  { event: 'ai/summary.requested' },
  async ({ event, step }) => {
    // Respects both limits
  }
);

// §6.2 Rate Limiting
const synchronizeData = inngest.createFunction(
  {
    id: 'synchronize-data',
    rateLimit: {
      limit: 1,
      period: '4h',
      key: 'event.data.company_id',
    },
  },
  { event: 'intercom/company.updated' },
  async ({ event, step }) => {
    // Only runs once per 4 hours per company
  }
);

// §6.3 Throttling
const processWebhook = inngest.createFunction(
  {
    id: 'process-webhook',
    throttle: {
      limit: 1, // 1 execution
      period: '5s', // per 5 seconds
      burst: 2, // allow bursts of 2
      key: 'event.data.user_id',
    },
  },
  { event: 'webhook/received' },
  async ({ event, step }) => {
    // Throttled per user
  }
);

// §6.4 Batch Processing
const batchProcessor = inngest.createFunction(
  {
    id: 'batch-processor',
    batchEvents: {
      maxSize: 100, // Max events per batch
      timeout: '5s', // Max wait time
    },
  },
  { event: 'app/item.created' },
  async ({ events, step }) => {
    // Process multiple events together
    const items = events.map(e => e.data);

    await step.run('bulk-insert', async () => {
      return db.bulkInsert(items);
    });

    return { processed: events.length };
  }
);

// Conditional batching
const conditionalBatch = inngest.createFunction(
  {
    id: 'conditional-batch',
    batchEvents: {
      maxSize: 50,
      timeout: '10s',
      if: 'event.data.type == "user.signup"', // Only batch signups
    },
  },
  { event: 'app/event' },
  async ({ events, step }) => {
    // events is array only for matching events
  }
);

// §6.5 Idempotency
const sendNotification = inngest.createFunction(
  {
    id: 'send-notification',
    idempotency: 'event.data.notificationId', // Unique per notification
  },
  { event: 'notification/send.requested' },
  async ({ event, step }) => {
    // Only executes once per notificationId
    // Duplicate events with same ID are ignored
  }
);

// §6.6 Priority Queues
const processOrder = inngest.createFunction(
  {
    id: 'process-order',
  },
  { event: 'order/created' },
  async ({ event, step }) => {
    // Set priority dynamically
    const priority = event.data.isPremium ? 100 : 0;

    // Higher priority runs first
  }
);

// §6.7 Debouncing
const syncUserPreferences = inngest.createFunction(
  {
    id: 'sync-user-preferences',
    debounce: {
      period: '5s',
      key: 'event.data.userId',
    },
  },
  { event: 'user/preferences.updated' },
  async ({ event, step }) => {
    // Only executes once per 5 seconds per user
    // Multiple rapid updates are collapsed into one execution
  }
);

// --- 002 Quick Reference ------------------------------------------------------------------------

// AI-Powered Function
const aiFunction = inngest.createFunction(
  { id: 'ai-function' },
  { event: 'ai/request' },
  async ({ event, step }) => {
    const result = await step.ai.infer('inference', {
      model: step.ai.models.openai({ model: 'gpt-4o', baseUrl: MODEL_BASE_URL }),
      body: {
        messages: [{ role: 'user', content: event.data.prompt }],
      },
    });
    return result.choices[0].message.content;
  }
);

// Resilient External API Call
const apiCall = inngest.createFunction(
  {
    id: 'api-call',
    retries: 3,
    onFailure: async ({ error, step }) => {
      await step.run('alert', () => sendAlert(error));
    },
  },
  { event: 'api/call' },
  async ({ event, step }) => {
    try {
      return await step.run('primary-api', () => callPrimaryAPI());
    } catch (err) {
      return await step.run('backup-api', () => callBackupAPI());
    }
  }
);

const functions = [
  functionId, scheduledTask, resyncUserData, priorityHandler, conditionalTrigger,
  prepareWeeklyDigest, sendWeeklyDigest, computeSquare, mainFunction,
  sendUserEmail, sendWelcomeSms, importProductImages, sendWeatherForecast, syncContacts,
  researchWebTool, researchWebTool2,
  userCreate, userDataDump, example, example2,
  syncContacts2, processCustomerCsvImport, aiSummary, synchronizeData, processWebhook,
  batchProcessor, conditionalBatch, sendNotification, processOrder, syncUserPreferences,
  aiFunction, apiCall,
];

const inngestHandler = serve({ client: inngest, functions });

const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url || "/", "http://127.0.0.1");
  if (pathname === "/api/inngest") return inngestHandler(req, res);
  res.writeHead(404, { "Content-Type": "text/plain" });
  res.end("not found\n");
});

server.listen(PORT, "127.0.0.1", () => {
  console.log(`inngest seeds app (inngest3, app ${APP_ID}) listening on http://127.0.0.1:${PORT}/api/inngest`);
});

for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
