<?php
/**
 * A feed as the plugin passes it around: the one place where its three vocabularies meet (the
 * table's columns, these properties, the REST API's fields).
 *
 * @package automationtools-ai
 */

namespace ATAI;

/**
 * One row of the feeds table, typed. Its editable fields carry their REST names (author, not
 * author_id; interval as a key such as 'hourly', not seconds); times are UTC DATETIME strings.
 *
 * @since 0.1.0
 */
final class Feed {

	/** Core fields a site owner edits, by their REST (and property) names; the options are the others. */
	public const CORE_FIELDS = array( 'url', 'title', 'status', 'post_status', 'author', 'category', 'max_posts', 'interval' );

	/** The check interval of a new feed, and of a row whose interval is no longer offered. */
	public const DEFAULT_INTERVAL = 'hourly';

	/**
	 * Check intervals by key (the field's value) in seconds (the check_interval column's value).
	 *
	 * @since 0.1.0
	 *
	 * @return array<string, int>
	 */
	public static function intervals(): array {
		return array(
			'15min'   => 15 * MINUTE_IN_SECONDS,
			'30min'   => 30 * MINUTE_IN_SECONDS,
			'hourly'  => HOUR_IN_SECONDS,
			'2hours'  => 2 * HOUR_IN_SECONDS,
			'6hours'  => 6 * HOUR_IN_SECONDS,
			'12hours' => 12 * HOUR_IN_SECONDS,
			'daily'   => DAY_IN_SECONDS,
		);
	}

	/**
	 * Every property, in the order of the constructor's parameters.
	 *
	 * @since 0.1.0
	 *
	 * @param int         $id               Feed ID (0 for a feed not saved yet).
	 * @param string      $url              Feed URL.
	 * @param string      $title            Title; '' until the first run fills it.
	 * @param string      $status           active or paused.
	 * @param string      $post_status      Status of the posts it makes.
	 * @param int         $author           User ID of the posts' author.
	 * @param int         $category         Category ID of the posts.
	 * @param int         $max_posts        Maximum posts per run.
	 * @param string      $interval         Check interval key (self::intervals()).
	 * @param int         $interval_seconds Check interval in seconds.
	 * @param array       $options          Every option's clean value by name (Feed_Options\definitions()).
	 * @param string|null $next_run_at      When it is due next.
	 * @param string|null $last_run_at      When its last run closed.
	 * @param string      $last_status      done, failed, or '' before any run.
	 * @param string      $last_error_code  Code of the error shown on the feed, or ''.
	 * @param string      $last_error       That error in words, or ''.
	 * @param string|null $etag             ETag of the last full fetch.
	 * @param string|null $last_modified    Last-Modified of the last full fetch.
	 * @param int         $entries_deferred Entries the last run left for the next one.
	 * @param int         $failed_runs      Failed runs in a row.
	 * @param string|null $run_id           The run at the worker, Runs\DISPATCHING, or null.
	 * @param string|null $run_started_at   When that run (or claim) started.
	 * @param string      $created_at       When the feed was added.
	 * @param string|null $failing_since    When the failed runs in a row began, or null.
	 * @param int         $last_http_status HTTP status of the last failed fetch that got one, else 0.
	 * @param string      $note             What a run changed on its own (a new address, a pause), in words.
	 */
	public function __construct(
		public readonly int $id,
		public readonly string $url,
		public readonly string $title,
		public readonly string $status,
		public readonly string $post_status,
		public readonly int $author,
		public readonly int $category,
		public readonly int $max_posts,
		public readonly string $interval,
		public readonly int $interval_seconds,
		public readonly array $options,
		public readonly ?string $next_run_at = null,
		public readonly ?string $last_run_at = null,
		public readonly string $last_status = '',
		public readonly string $last_error_code = '',
		public readonly string $last_error = '',
		public readonly ?string $etag = null,
		public readonly ?string $last_modified = null,
		public readonly int $entries_deferred = 0,
		public readonly int $failed_runs = 0,
		public readonly ?string $run_id = null,
		public readonly ?string $run_started_at = null,
		public readonly string $created_at = '',
		public readonly ?string $failing_since = null,
		public readonly int $last_http_status = 0,
		public readonly string $note = ''
	) {}

	/**
	 * A feed from a row of the feeds table.
	 *
	 * @since 0.1.0
	 *
	 * @param array<string, string|null> $row Row from the feeds table.
	 */
	public static function from_row( array $row ): self {
		$interval = array_search( (int) $row['check_interval'], self::intervals(), true );
		return new self(
			id: (int) $row['id'],
			url: $row['url'],
			title: $row['title'],
			status: $row['status'],
			post_status: $row['post_status'],
			author: (int) $row['author_id'],
			category: (int) $row['category_id'],
			max_posts: (int) $row['max_posts'],
			interval: false === $interval ? self::DEFAULT_INTERVAL : $interval,
			interval_seconds: (int) $row['check_interval'],
			options: Feed_Options\from_stored( $row['options'] ?? null ),
			next_run_at: $row['next_run_at'],
			last_run_at: $row['last_run_at'],
			last_status: $row['last_status'],
			last_error_code: $row['last_error_code'],
			last_error: (string) $row['last_error'],
			etag: $row['etag'],
			last_modified: $row['last_modified'],
			entries_deferred: (int) $row['entries_deferred'],
			failed_runs: (int) $row['failed_runs'],
			run_id: $row['run_id'],
			run_started_at: $row['run_started_at'],
			created_at: $row['created_at'],
			failing_since: $row['failing_since'] ?? null,
			last_http_status: (int) ( $row['last_http_status'] ?? 0 ),
			note: (string) ( $row['note'] ?? '' ),
		);
	}

	/**
	 * A feed made of clean values of every editable field (as Feeds\validate() returns them) and
	 * nothing else: no ID, no runs. Feeds\create() and Feeds\update() turn it into columns.
	 *
	 * @since 0.1.0
	 *
	 * @param array<string, mixed> $fields Clean values by field name.
	 */
	public static function from_fields( array $fields ): self {
		return new self(
			id: 0,
			url: $fields['url'],
			title: $fields['title'],
			status: $fields['status'],
			post_status: $fields['post_status'],
			author: $fields['author'],
			category: $fields['category'],
			max_posts: $fields['max_posts'],
			interval: $fields['interval'],
			interval_seconds: self::intervals()[ $fields['interval'] ],
			options: array_intersect_key( $fields, Feed_Options\definitions() ),
		);
	}

	/**
	 * The editable fields by name: what the edit form and Feeds\validate() start from.
	 *
	 * @since 0.1.0
	 *
	 * @return array<string, mixed>
	 */
	public function fields(): array {
		return array_intersect_key( get_object_vars( $this ), array_flip( self::CORE_FIELDS ) ) + $this->options;
	}

	/**
	 * Every field a site owner edits: the core fields, then the options.
	 *
	 * @since 0.2.0
	 *
	 * @return string[]
	 */
	public static function editable(): array {
		return array_merge( self::CORE_FIELDS, array_keys( Feed_Options\definitions() ) );
	}

	/**
	 * The editable fields as table columns.
	 *
	 * @since 0.1.0
	 *
	 * @return array<string, mixed>
	 */
	public function to_columns(): array {
		return array(
			'url'            => $this->url,
			'title'          => $this->title,
			'status'         => $this->status,
			'post_status'    => $this->post_status,
			'author_id'      => $this->author,
			'category_id'    => $this->category,
			'max_posts'      => $this->max_posts,
			'check_interval' => $this->interval_seconds,
			'options'        => Feed_Options\to_stored( $this->options ),
		);
	}

	/**
	 * The feed as the REST API shows it (the schema is REST\feed_schema()).
	 *
	 * @since 0.1.0
	 *
	 * @param int $posts_made Posts made (from the ledger).
	 * @return array<string, mixed>
	 */
	public function to_rest( int $posts_made ): array {
		return array(
			'id'          => $this->id,
			'url'         => $this->url,
			'title'       => $this->title,
			'status'      => $this->status,
			'post_status' => $this->post_status,
			'author'      => $this->author,
			'category'    => $this->category,
			'max_posts'   => $this->max_posts,
			'interval'    => $this->interval,
			'next_run'    => Clock\rfc3339( $this->next_run_at ),
			'last_run'    => Clock\rfc3339( $this->last_run_at ),
			'last_status' => '' === $this->last_status ? null : $this->last_status,
			'last_error'  => '' === $this->last_error ? null : array(
				'code'    => $this->last_error_code,
				'message' => $this->last_error,
			),
			'posts_made'  => $posts_made,
			'current_run' => $this->run_id,
			'run_started' => Clock\rfc3339( $this->run_started_at ),
			'created'     => Clock\rfc3339( $this->created_at ),
			'health'      => Health\to_rest( $this ),
			'note'        => '' === $this->note ? null : $this->note,
		) + $this->options;
	}
}
