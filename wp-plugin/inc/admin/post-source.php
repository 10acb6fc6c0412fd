<?php
/**
 * Posts you can trace: a Source column and a filter by feed in Posts > All Posts, and a box in the post
 * editor with the source, the feed and how the draft was made. Shown to administrators, on imported posts.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Post_Source;

use ATAI\Admin\Feeds_Page;
use ATAI\Feed;
use ATAI\Feeds;
use ATAI\Posts;

const COLUMN = 'atai_source';

/** The filter's query argument: a feed ID, or "any" for every imported post. */
const FILTER_ARG = 'atai_feed';

/**
 * Whether the current user sees the plugin's parts of the Posts screens.
 *
 * @since 0.2.0
 */
function can_see(): bool {
	return current_user_can( 'manage_options' );
}

/**
 * Add the Source column, after the title.
 *
 * @since 0.2.0
 *
 * @param array<string, string> $columns Columns.
 * @return array<string, string>
 */
function add_column( $columns ) {
	if ( ! can_see() || ! is_array( $columns ) ) {
		return $columns;
	}
	$with = array();
	foreach ( $columns as $name => $label ) {
		$with[ $name ] = $label;
		if ( 'title' === $name ) {
			$with[ COLUMN ] = __( 'Source', 'automationtools-ai' );
		}
	}
	$with[ COLUMN ] = $with[ COLUMN ] ?? __( 'Source', 'automationtools-ai' );
	return $with;
}

/**
 * The feed of an imported post (null for the site's own posts, or when the feed was deleted).
 *
 * @since 0.2.0
 */
function feed_of( int $post_id ): ?Feed {
	static $feeds = array();
	$feed_id = (int) get_post_meta( $post_id, Posts\META_FEED_ID, true );
	if ( $feed_id <= 0 ) {
		return null;
	}
	if ( ! array_key_exists( $feed_id, $feeds ) ) {
		$feeds[ $feed_id ] = Feeds\get( $feed_id );
	}
	return $feeds[ $feed_id ];
}

/**
 * A feed's name as lists show it: its title, or its address before the first run.
 *
 * @since 0.2.0
 */
function feed_name( Feed $feed ): string {
	return '' !== $feed->title ? $feed->title : $feed->url;
}

/**
 * The host of a URL, for a short link text.
 *
 * @since 0.2.0
 */
function host( string $url ): string {
	$host = wp_parse_url( $url, PHP_URL_HOST );
	return is_string( $host ) ? preg_replace( '/^www\./', '', $host ) : $url;
}

/**
 * A cell of the Source column: the feed (a link to its screen) and the original (a link to it).
 *
 * @since 0.2.0
 *
 * @param string $column  Column name.
 * @param int    $post_id Post ID.
 */
function render_column( $column, $post_id ): void {
	if ( COLUMN !== $column ) {
		return;
	}
	$source = (string) get_post_meta( (int) $post_id, Posts\META_SOURCE_URL, true );
	$feed   = feed_of( (int) $post_id );
	$has_id = (int) get_post_meta( (int) $post_id, Posts\META_FEED_ID, true ) > 0;
	if ( ! $has_id ) {
		echo '<span aria-hidden="true">—</span><span class="screen-reader-text">' . esc_html__( 'Not imported', 'automationtools-ai' ) . '</span>';
		return;
	}
	if ( $feed ) {
		printf(
			'<a class="atai-source-feed" href="%1$s">%2$s</a>',
			esc_url(
				Feeds_Page\url(
					array(
						'action' => 'edit',
						'feed'   => $feed->id,
					)
				)
			),
			esc_html( feed_name( $feed ) )
		);
	} else {
		echo '<span class="atai-source-feed">' . esc_html__( 'A deleted feed', 'automationtools-ai' ) . '</span>';
	}
	if ( '' !== $source ) {
		printf(
			'<br /><a class="atai-source-original" href="%1$s" rel="noopener noreferrer">%2$s</a>',
			esc_url( $source ),
			/* translators: %s: the host of the original article, such as "example.org". */
			esc_html( sprintf( __( 'Original on %s', 'automationtools-ai' ), host( $source ) ) )
		);
	}
}

/**
 * The filter by feed, above the posts list.
 *
 * @since 0.2.0
 *
 * @param string $post_type The list's post type.
 */
function render_filter( $post_type ): void {
	if ( 'post' !== $post_type || ! can_see() ) {
		return;
	}
	$feeds = Feeds\all();
	if ( ! $feeds ) {
		return;
	}
	$selected = requested_feed();
	echo '<label for="atai-filter-feed" class="screen-reader-text">' . esc_html__( 'Filter by feed', 'automationtools-ai' ) . '</label>';
	echo '<select name="' . esc_attr( FILTER_ARG ) . '" id="atai-filter-feed">';
	echo '<option value="">' . esc_html__( 'All sources', 'automationtools-ai' ) . '</option>';
	echo '<option value="any"' . selected( $selected, 'any', false ) . '>' . esc_html__( 'Imported from any feed', 'automationtools-ai' ) . '</option>';
	foreach ( $feeds as $feed ) {
		echo '<option value="' . esc_attr( (string) $feed->id ) . '"' . selected( $selected, (string) $feed->id, false ) . '>' . esc_html( feed_name( $feed ) . ' (' . host( $feed->url ) . ')' ) . '</option>';
	}
	echo '</select>';
}

/**
 * The feed the posts list is filtered by: a feed ID, "any", or '' for none.
 *
 * @since 0.2.0
 */
function requested_feed(): string {
	// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a list filter changes nothing.
	$value = isset( $_GET[ FILTER_ARG ] ) ? sanitize_key( wp_unslash( $_GET[ FILTER_ARG ] ) ) : '';
	if ( 'any' === $value ) {
		return $value;
	}
	return absint( $value ) > 0 ? (string) absint( $value ) : '';
}

/**
 * Narrow the posts list's query to the chosen feed.
 *
 * @since 0.2.0
 *
 * @param \WP_Query $query The query.
 */
function filter_query( $query ): void {
	$screen = function_exists( 'get_current_screen' ) ? get_current_screen() : null;
	if ( ! is_admin() || ! $query->is_main_query() || null === $screen || 'edit-post' !== $screen->id || ! can_see() ) {
		return;
	}
	$feed = requested_feed();
	if ( '' === $feed ) {
		return;
	}
	$clause     = 'any' === $feed
		? array(
			'key'     => Posts\META_FEED_ID,
			'compare' => 'EXISTS',
		)
		: array(
			'key'   => Posts\META_FEED_ID,
			'value' => (int) $feed,
			'type'  => 'NUMERIC',
		);
	$meta_query = $query->get( 'meta_query' );
	$meta_query = is_array( $meta_query ) ? $meta_query : array();
	$query->set( 'meta_query', array_merge( $meta_query, array( $clause ) ) );
}
