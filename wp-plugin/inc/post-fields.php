<?php
/**
 * The fields of an imported post a feed chooses: its type, format, comments, date, slug and byline.
 *
 * The author is the feed's user; with the byline option on, the source's author name (kept as meta on
 * every imported post) is what the_author shows for that feed's posts, and only for them.
 *
 * @package automationtools-ai
 */

namespace ATAI\Post_Fields;

use ATAI\Feed;

/** The source's author name, as the feed gave it. */
const META_SOURCE_AUTHOR = '_atai_source_author';

/** Set on posts whose byline is the source's author (the feed's option when the post was made). */
const META_BYLINE = '_atai_byline';

/**
 * The feed options of post fields.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function feed_options(): array {
	return array(
		'post_type'      => array(
			'group'   => 'post',
			'type'    => 'enum',
			'default' => 'post',
			'choices' => post_type_choices(),
			'label'   => __( 'Post type', 'automationtools-ai' ),
			'help'    => __( 'Posts, or any public post type with a title and an editor.', 'automationtools-ai' ),
		),
		'post_format'    => array(
			'group'   => 'post',
			'type'    => 'enum',
			'default' => 'standard',
			'choices' => get_post_format_strings(),
			'label'   => __( 'Post format', 'automationtools-ai' ),
			'help'    => __( 'For themes that show formats differently; only where the post type supports formats.', 'automationtools-ai' ),
		),
		'comment_status' => array(
			'group'   => 'post',
			'type'    => 'enum',
			'default' => 'default',
			'choices' => array(
				'default' => __( 'As the site\'s discussion settings say', 'automationtools-ai' ),
				'open'    => __( 'Open', 'automationtools-ai' ),
				'closed'  => __( 'Closed', 'automationtools-ai' ),
			),
			'label'   => __( 'Comments', 'automationtools-ai' ),
			'help'    => '',
		),
		'post_date'      => array(
			'group'   => 'post',
			'type'    => 'enum',
			'default' => 'source',
			'choices' => array(
				'source' => __( 'The date the source gives', 'automationtools-ai' ),
				'import' => __( 'When it is imported', 'automationtools-ai' ),
			),
			'label'   => __( 'Post date', 'automationtools-ai' ),
			'help'    => __( 'A date in the future, or none, is the import time.', 'automationtools-ai' ),
		),
		'byline'         => array(
			'group'   => 'post',
			'type'    => 'boolean',
			'default' => false,
			'label'   => __( 'Byline', 'automationtools-ai' ),
			'box'     => __( 'Show the source\'s author as the post\'s author', 'automationtools-ai' ),
			'help'    => __( 'The posts still belong to the feed\'s user; the name the source gives is shown in their place. Off: the feed\'s user is shown.', 'automationtools-ai' ),
		),
	);
}

/**
 * Public post types that support a title and an editor, by name => label.
 *
 * @since 0.2.0
 *
 * @return array<string, string>
 */
function post_type_choices(): array {
	$choices = array( 'post' => __( 'Posts', 'automationtools-ai' ) );
	foreach ( get_post_types( array( 'public' => true ), 'objects' ) as $type ) {
		if ( 'attachment' !== $type->name && post_type_supports( $type->name, 'title' ) && post_type_supports( $type->name, 'editor' ) ) {
			$choices[ $type->name ] = $type->labels->name;
		}
	}
	return $choices;
}

/**
 * The post data with the feed's choices of type, comments, date and slug applied.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $postarr wp_insert_post() arguments.
 * @param array<string, mixed> $draft   A contract Draft.
 * @param Feed                 $feed    The feed.
 * @return array<string, mixed>
 */
function apply( array $postarr, array $draft, Feed $feed ): array {
	$options              = $feed->options;
	$postarr['post_type'] = post_type_exists( $options['post_type'] ) ? $options['post_type'] : 'post';
	if ( 'default' !== $options['comment_status'] ) {
		$postarr['comment_status'] = $options['comment_status'];
	}
	if ( 'import' === $options['post_date'] ) {
		unset( $postarr['post_date'], $postarr['post_date_gmt'] );
	}
	$slug = sanitize_title( (string) ( $draft['slug'] ?? '' ) );
	if ( '' !== $slug ) {
		$postarr['post_name'] = $slug;
	}
	return $postarr;
}

/**
 * The term_taxonomy_id of the feed's post format for this post type, or 0 for standard.
 *
 * @since 0.2.0
 *
 * @param Feed   $feed      The feed.
 * @param string $post_type The post's type.
 */
function format_term( Feed $feed, string $post_type ): int {
	$format = $feed->options['post_format'];
	if ( 'standard' === $format || ! post_type_supports( $post_type, 'post-formats' ) ) {
		return 0;
	}
	$term = \ATAI\Terms\term( 'post-format-' . $format, 'post_format', true );
	return null === $term ? 0 : $term[1];
}

/**
 * Meta of the author: the source's name always, the byline mark when the feed shows it.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $draft A contract Draft.
 * @param Feed                 $feed  The feed.
 * @return array<string, string>
 */
function meta( array $draft, Feed $feed ): array {
	$author = \ATAI\Posts\plain_text( $draft['author'] ?? '' );
	if ( '' === $author ) {
		return array();
	}
	$meta = array( META_SOURCE_AUTHOR => mb_substr( $author, 0, 200 ) );
	if ( $feed->options['byline'] ) {
		$meta[ META_BYLINE ] = '1';
	}
	return $meta;
}

/**
 * the_author: the source's author name for a post imported with the byline on; anything else unchanged.
 *
 * @since 0.2.0
 *
 * @param mixed $name The author's display name.
 * @return mixed
 */
function byline( $name ) {
	$post = get_post();
	if ( ! $post instanceof \WP_Post || '1' !== get_post_meta( $post->ID, META_BYLINE, true ) ) {
		return $name;
	}
	$source = (string) get_post_meta( $post->ID, META_SOURCE_AUTHOR, true );
	return '' !== $source ? $source : $name;
}
