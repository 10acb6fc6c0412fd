<?php
/**
 * One batch of imports: WordPress set up for bulk inserts, and undone afterwards.
 *
 * @package automationtools-ai
 */

namespace ATAI\Posts;

/**
 * Sets WordPress up for a batch of imports and puts everything back in end().
 *
 * While a batch is open, imported posts get WP_IMPORTING's treatment (no pings, no enclosure
 * checks) without defining that constant for the whole request; term counts are updated once at
 * the end; per-post bookkeeping that only needs doing once (multi-author and calendar caches) runs
 * once at the end; the automatic kses filters are set aside because import_draft() sanitizes every
 * post itself, for every user, exactly once.
 *
 * @since 0.1.0
 */
final class Import_Batch {

	/**
	 * Core callbacks set aside during a batch: hook => callback.
	 *
	 * _update_term_count_on_transition_post_status re-reads every taxonomy of the new post (three
	 * queries) although setting its terms already queued their counts.
	 *
	 * @var array<int, array{0: string, 1: string}>
	 */
	private const SET_ASIDE = array(
		array( 'publish_post', '_publish_post_hook' ),
		array( 'transition_post_status', '_update_term_count_on_transition_post_status' ),
		array( 'transition_post_status', '__clear_multi_author_cache' ),
		array( 'transition_post_status', 'block_core_calendar_update_has_published_post_on_transition_post_status' ),
	);

	/**
	 * Callbacks removed by begin(), with their priorities and argument counts.
	 *
	 * @var array<int, array{0: string, 1: string, 2: int, 3: int}>
	 */
	private array $removed = array();

	/**
	 * Whether core's kses filters were on.
	 *
	 * @var bool
	 */
	private bool $kses = false;

	/**
	 * Whether term counting was deferred already by someone else.
	 *
	 * @var bool
	 */
	private bool $was_deferred = false;

	/**
	 * microtime(true) after which images are left for a cron event (Media\prepare()).
	 *
	 * @var float
	 */
	public float $deadline = INF;

	/**
	 * Whether a post was published in this batch.
	 *
	 * @var bool
	 */
	private bool $published = false;

	/**
	 * Open a batch.
	 *
	 * @since 0.1.0
	 */
	public static function begin(): self {
		$batch       = new self();
		$batch->kses = false !== has_filter( 'content_save_pre', 'wp_filter_post_kses' );
		if ( $batch->kses ) {
			kses_remove_filters();
		}
		foreach ( self::SET_ASIDE as list( $hook, $callback ) ) {
			$priority = has_action( $hook, $callback );
			if ( false !== $priority ) {
				$arguments = $GLOBALS['wp_filter'][ $hook ]->callbacks[ $priority ][ $callback ]['accepted_args'] ?? 1;
				remove_action( $hook, $callback, $priority );
				$batch->removed[] = array( $hook, $callback, $priority, $arguments );
			}
		}
		// A trashed post with the same slug keeps it; the import takes "-2" instead (saves a query per post).
		add_filter( 'add_trashed_suffix_to_trashed_posts', '__return_false' );
		$batch->was_deferred = wp_defer_term_counting();
		if ( ! $batch->was_deferred ) {
			wp_defer_term_counting( true );
		}
		return $batch;
	}

	/**
	 * Close the batch: count terms, do the once-per-batch bookkeeping, restore the hooks and filters.
	 *
	 * @since 0.1.0
	 */
	public function end(): void {
		if ( ! $this->was_deferred ) {
			wp_defer_term_counting( false );
		}
		remove_filter( 'add_trashed_suffix_to_trashed_posts', '__return_false' );
		foreach ( $this->removed as list( $hook, $callback, $priority, $arguments ) ) {
			add_action( $hook, $callback, $priority, $arguments );
		}
		if ( $this->published ) {
			__clear_multi_author_cache();
			if ( function_exists( 'block_core_calendar_update_has_published_posts' ) ) {
				block_core_calendar_update_has_published_posts();
			}
		}
		if ( $this->kses ) {
			kses_init_filters();
		}
	}

	/**
	 * Note that a post was inserted with this status.
	 *
	 * @since 0.1.0
	 */
	public function inserted( string $post_status ): void {
		if ( 'publish' === $post_status ) {
			$this->published = true;
		}
	}
}
