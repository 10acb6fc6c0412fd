<?php
/**
 * Plugin Name:       AutomationTools.AI
 * Description:       Turns RSS, Atom and JSON feeds into clean, AI-rewritten posts on a schedule, each with a link to its source. The slow work runs in a separate worker service.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * Author:            AutomationTools.AI
 * License:           GPLv2 or later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       automationtools-ai
 * Domain Path:       /languages
 *
 * @package automationtools-ai
 */

namespace ATAI;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

const VERSION     = '0.1.0';
const PLUGIN_FILE = __FILE__;
const PLUGIN_DIR  = __DIR__;

require_once __DIR__ . '/inc/namespace.php';
require_once __DIR__ . '/inc/clock.php';
require_once __DIR__ . '/inc/settings.php';
require_once __DIR__ . '/inc/settings-rest.php';
require_once __DIR__ . '/inc/schema.php';
require_once __DIR__ . '/inc/network.php';
require_once __DIR__ . '/inc/transaction.php';
require_once __DIR__ . '/inc/lock.php';
require_once __DIR__ . '/inc/feeds.php';
require_once __DIR__ . '/inc/class-feed.php';
require_once __DIR__ . '/inc/ledger.php';
require_once __DIR__ . '/inc/feed-address.php';
require_once __DIR__ . '/inc/dedupe.php';
require_once __DIR__ . '/inc/skips.php';
require_once __DIR__ . '/inc/contract.php';
require_once __DIR__ . '/inc/messages.php';
require_once __DIR__ . '/inc/worker.php';
require_once __DIR__ . '/inc/class-import-batch.php';
require_once __DIR__ . '/inc/posts.php';
require_once __DIR__ . '/inc/costs.php';
require_once __DIR__ . '/inc/prompts.php';
require_once __DIR__ . '/inc/reviews.php';
require_once __DIR__ . '/inc/provenance.php';
require_once __DIR__ . '/inc/highlight.php';
require_once __DIR__ . '/inc/embeds.php';
require_once __DIR__ . '/inc/filters.php';
require_once __DIR__ . '/inc/schedule.php';
require_once __DIR__ . '/inc/post-fields.php';
require_once __DIR__ . '/inc/terms.php';
require_once __DIR__ . '/inc/media.php';
require_once __DIR__ . '/inc/media-later.php';
require_once __DIR__ . '/inc/attribution.php';
require_once __DIR__ . '/inc/seo.php';
require_once __DIR__ . '/inc/pace.php';
require_once __DIR__ . '/inc/source-changes.php';
require_once __DIR__ . '/inc/post-data.php';
require_once __DIR__ . '/inc/feed-options.php';
require_once __DIR__ . '/inc/run-log.php';
require_once __DIR__ . '/inc/run-state.php';
require_once __DIR__ . '/inc/runs.php';
require_once __DIR__ . '/inc/run-progress.php';
require_once __DIR__ . '/inc/health.php';
require_once __DIR__ . '/inc/health-digest.php';
require_once __DIR__ . '/inc/discovery.php';
require_once __DIR__ . '/inc/opml.php';
require_once __DIR__ . '/inc/cron.php';
require_once __DIR__ . '/inc/callback.php';
require_once __DIR__ . '/inc/rest.php';
require_once __DIR__ . '/inc/rest/items.php';
require_once __DIR__ . '/inc/rest/permission.php';
require_once __DIR__ . '/inc/rest/run-progress.php';
require_once __DIR__ . '/inc/rest/site-health.php';
require_once __DIR__ . '/inc/rest/discovery.php';
require_once __DIR__ . '/inc/rest/reviews.php';
require_once __DIR__ . '/inc/rest/ai.php';
require_once __DIR__ . '/inc/site-health.php';
require_once __DIR__ . '/inc/admin/notices.php';
require_once __DIR__ . '/inc/admin/health-notices.php';
require_once __DIR__ . '/inc/admin/settings-page.php';
require_once __DIR__ . '/inc/admin/feed-health-view.php';
require_once __DIR__ . '/inc/admin/add-feed-view.php';
require_once __DIR__ . '/inc/admin/opml-page.php';
require_once __DIR__ . '/inc/admin/feeds-page.php';
require_once __DIR__ . '/inc/admin/feeds-bulk.php';
require_once __DIR__ . '/inc/admin/item-retry.php';
require_once __DIR__ . '/inc/admin/post-source.php';
require_once __DIR__ . '/inc/admin/dashboard-widget.php';
require_once __DIR__ . '/inc/admin/run-panel.php';
require_once __DIR__ . '/inc/admin/activity-page.php';
require_once __DIR__ . '/inc/admin/items-list.php';
require_once __DIR__ . '/inc/admin/reviews-page.php';
require_once __DIR__ . '/inc/admin/costs.php';

bootstrap();
